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
  });
})();
