// Behaviour the pages need beyond htmx, wired by data attributes: no inline script (the CSP forbids it).
(function () {
  "use strict";

  // <input data-select-on-focus>: a link to copy is selected whole with one click.
  document.addEventListener("click", function (event) {
    if (event.target.matches("input[data-select-on-focus]")) event.target.select();
  });

  // <input type="checkbox" data-select-all="FORM-ID">: ticks or clears every box of that form.
  document.addEventListener("change", function (event) {
    var form = event.target.dataset && event.target.dataset.selectAll;
    if (!form) return;
    document.querySelectorAll('input[type=checkbox][form="' + form + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // <form data-confirm="question">: a plain (non-htmx) form asks before it submits.
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
