// The live 字数 counter (SPEC.md §3a), the same rule the server enforces: grapheme
// clusters; whitespace counts 0; a cluster starting with a wide character (PX_WIDE, served
// with this file) counts 1; every run of other clusters counts 1, as a word.
(function () {
  "use strict";
  var wide = function (cp) {
    var lo = 0, hi = PX_WIDE.length / 2 - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (cp < PX_WIDE[2 * mid]) { hi = mid - 1; }
      else if (cp > PX_WIDE[2 * mid + 1]) { lo = mid + 1; }
      else { return true; }
    }
    return false;
  };
  var clusters = function (text) {
    if (window.Intl && Intl.Segmenter) {
      var out = [];
      var it = new Intl.Segmenter("zh", { granularity: "grapheme" }).segment(text);
      for (var s of it) { out.push(s.segment); }
      return out;
    }
    return Array.from(text);
  };
  var count = function (text) {
    var n = 0, inWord = false;
    clusters(text).forEach(function (c) {
      var cp = c.codePointAt(0);
      if (/^\s/.test(c)) { inWord = false; }
      else if (wide(cp)) { n += 1; inWord = false; }
      else if (!inWord) { n += 1; inWord = true; }
    });
    return n;
  };
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-zishu]"), function (box) {
      var limit = parseInt(box.getAttribute("data-zishu"), 10);
      var out = document.createElement("p");
      out.className = "zishu";
      out.setAttribute("aria-live", "polite");
      box.parentNode.insertBefore(out, box.nextSibling);
      var show = function () {
        var n = count(box.value);
        out.textContent = "已写 " + n + " / " + limit + " 字" + (n > limit ? "，超出 " + (n - limit) + " 字" : "");
        out.classList.toggle("over", n > limit);
      };
      box.addEventListener("input", show);
      show();
    });
  });
})();
