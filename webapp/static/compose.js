// Small helpers for the template editor and the tracking URL page; no framework, no CDN.
(function () {
  "use strict";

  // Line numbers beside the HTML source, so "html, line 12" from the checker is easy to find.
  function numberLines(textarea) {
    var gutter = textarea.parentElement.querySelector(".line-numbers");
    if (!gutter) return;
    var count = textarea.value.split("\n").length;
    if (gutter.dataset.count !== String(count)) {
      var lines = [];
      for (var i = 1; i <= count; i++) lines.push(i);
      gutter.textContent = lines.join("\n");
      gutter.dataset.count = String(count);
    }
    gutter.scrollTop = textarea.scrollTop;
  }

  function editors() { return document.querySelectorAll(".code-editor textarea"); }

  document.addEventListener("input", function (event) {
    if (event.target.matches(".code-editor textarea")) numberLines(event.target);
  });
  document.addEventListener("scroll", function (event) {
    if (event.target.matches && event.target.matches(".code-editor textarea")) numberLines(event.target);
  }, true);
  document.addEventListener("htmx:afterSettle", function () { editors().forEach(numberLines); });
  document.addEventListener("DOMContentLoaded", function () { editors().forEach(numberLines); });

  // Select a line of a part: the problem list's "html, line 3" buttons.
  function gotoLine(textarea, line) {
    var lines = textarea.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
    textarea.focus();
    textarea.setSelectionRange(start, start + (lines[line - 1] || "").length);
    var lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
    textarea.scrollTop = Math.max(0, (line - 4) * lineHeight);
  }

  // Insert text at the caret of the HTML source, then let the live check and preview run.
  function insertAtCaret(textarea, text) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    textarea.setRangeText(text, start, end, "end");
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // Ctrl+S / Cmd+S saves the template instead of saving the web page.
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "s" && document.getElementById("template-form")) {
      event.preventDefault();
      document.querySelector("#template-form button[type=submit]").click();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-insert], [data-goto-part], [data-copy]");
    if (!target) return;
    if (target.dataset.insert !== undefined) {
      insertAtCaret(document.getElementById("html"), target.dataset.insert);
      var menu = target.closest("details");
      if (menu) menu.open = false;
    } else if (target.dataset.gotoPart !== undefined) {
      var field = document.getElementById(target.dataset.gotoPart);
      if (field && target.dataset.gotoLine) gotoLine(field, parseInt(target.dataset.gotoLine, 10));
      else if (field) field.focus();
    } else {
      var done = function () {
        var label = target.textContent;
        target.textContent = "Copied";
        setTimeout(function () { target.textContent = label; }, 1200);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(target.dataset.copy).then(done);
      } else {  // plain http on a LAN address: the Clipboard API is not available
        var scratch = document.createElement("textarea");
        scratch.value = target.dataset.copy;
        document.body.appendChild(scratch);
        scratch.select();
        document.execCommand("copy");
        scratch.remove();
        done();
      }
    }
  });
})();
