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

  // The phone menu's button opens and closes the top bar's navigation.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".menu-button");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    button.closest(".topbar").classList.toggle("open", open);
  });

  // <form data-confirm="question">: a plain (non-htmx) form asks before it submits.
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
