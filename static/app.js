// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Put the cursor on the first field that needs fixing.
    var bad = document.querySelector("[aria-invalid=true]");
    if (bad) { bad.focus(); bad.select && bad.select(); }

    // Score grid: Enter and the up/down arrows move between cells, like a spreadsheet.
    var cells = Array.prototype.slice.call(document.querySelectorAll(".score-grid .score-input"));
    cells.forEach(function (cell, i) {
      cell.addEventListener("keydown", function (e) {
        var to = null;
        if (e.key === "Enter" || e.key === "ArrowDown") { to = cells[i + 1]; }
        else if (e.key === "ArrowUp") { to = cells[i - 1]; }
        if (to) { e.preventDefault(); to.focus(); to.select(); }
        else if (e.key === "Enter") { e.preventDefault(); }
      });
    });

    // Score grid: typed scores are never dropped silently. A cell is unsaved when it differs
    // from the score stored when the page was made (the hidden "o" field beside it, "value/
    // version", which a refused save keeps as it was); leaving the page, switching tab,
    // filter or month asks first.
    var grid = document.querySelector("form.score-grid");
    if (grid) {
      var status = document.getElementById("unsaved");
      var leaving = false;
      var same = function (a, b) {
        a = a.trim(); b = b.trim();
        if (a === b) { return true; }
        var x = parseFloat(a), y = parseFloat(b);
        return a !== "" && b !== "" && !isNaN(x) && !isNaN(y) && x === y && /^[0-9.]+$/.test(a);
      };
      var unsaved = function () {
        var n = 0;
        cells.forEach(function (cell) {
          var original = grid.elements["o" + cell.id.slice(1)];
          var shown = original ? original.value.slice(0, original.value.lastIndexOf("/")) : "";
          if (original && !cell.readOnly && !same(cell.value, shown)) { n += 1; }
        });
        return n;
      };
      var show = function () {
        if (!status) { return; }
        var n = unsaved();
        status.hidden = n === 0;
        status.textContent = n === 0 ? "" : "有 " + n + " 个分数尚未保存";
      };
      var ask = function () {
        var n = unsaved();
        if (n === 0) { return true; }
        return window.confirm("本页有 " + n + " 个分数尚未保存。离开本页将丢失这些修改，确定离开吗？");
      };
      grid.addEventListener("input", show);
      grid.addEventListener("submit", function () { leaving = true; });
      // Leaving once agreed to: the page's own question is not asked twice. If the page
      // stays after all (a link into a new tab), the question is back a moment later.
      var agreed = function () {
        leaving = true;
        window.setTimeout(function () { leaving = false; }, 1500);
      };
      Array.prototype.forEach.call(document.querySelectorAll("a[href]"), function (link) {
        if (grid.contains(link) && !link.closest(".sticky-actions")) { return; }
        // A download or a new tab does not leave the page.
        if (link.hasAttribute("download") || link.target === "_blank") { return; }
        link.addEventListener("click", function (e) {
          if (e.ctrlKey || e.metaKey || e.shiftKey || e.button === 1) { return; }
          if (ask()) { agreed(); } else { e.preventDefault(); }
        });
      });
      Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
        if (form === grid) { return; }
        form.addEventListener("submit", function (e) {
          if (ask()) { agreed(); } else { e.preventDefault(); }
        });
      });
      window.addEventListener("beforeunload", function (e) {
        if (!leaving && unsaved() > 0) { e.preventDefault(); e.returnValue = ""; }
      });
      // Back to this page from the browser's history: the question is asked again.
      window.addEventListener("pageshow", function () { leaving = false; show(); });
      show();
    }
  });
})();
