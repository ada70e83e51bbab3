// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Put the cursor on the first field that needs fixing.
    var bad = document.querySelector("[aria-invalid=true]");
    if (bad) { bad.focus(); }
  });
})();
