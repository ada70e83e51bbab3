// Hall screen: keeps the page current without a click. Every minute it fetches the page
// again and swaps in the new content; when the network or the server is down it keeps
// showing the last content, says so discreetly, and retries until it answers again.
(function () {
  "use strict";
  var root = document.getElementById("hall");
  if (!root || !window.fetch || !window.DOMParser) { return; }
  var every = (parseInt(root.getAttribute("data-refresh"), 10) || 60) * 1000;
  var status = root.querySelector(".hall-status");
  function schedule(ms) { window.setTimeout(refresh, ms); }
  function refresh() {
    fetch(window.location.href, { cache: "no-store", credentials: "omit" })
      .then(function (res) {
        if (!res.ok) { throw new Error("status " + res.status); }
        return res.text();
      })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.getElementById("hall");
        if (!fresh) { throw new Error("no hall content"); }
        if (fresh.innerHTML !== root.innerHTML) {
          root.innerHTML = fresh.innerHTML;
          status = root.querySelector(".hall-status");
        }
        if (status) { status.hidden = true; }
        schedule(every);
      })
      .catch(function () {
        if (status) { status.hidden = false; }
        schedule(15000);
      });
  }
  schedule(every);
})();
