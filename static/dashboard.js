// The little the dashboard needs beyond htmx: mirror the revision onto the page
// root, show the connection state, and keep the feeds bounded (no growing DOM).
(function () {
  "use strict";
  function root() { return document.getElementById("dashboard"); }
  function setConnection(text, live) {
    var badge = document.getElementById("connection");
    if (badge) { badge.textContent = text; badge.className = "badge" + (live ? " live" : " down"); }
  }
  document.addEventListener("htmx:wsAfterMessage", function () {
    var rev = document.getElementById("revision");
    if (rev && root()) { root().dataset.revision = rev.dataset.revision; }
    document.querySelectorAll("[data-cap]").forEach(function (list) {
      var cap = parseInt(list.dataset.cap, 10);
      while (list.children.length > cap) { list.removeChild(list.lastElementChild); }
    });
  });
  document.addEventListener("htmx:wsClose", function () { setConnection("reconnecting…", false); });
  document.addEventListener("htmx:wsError", function () { setConnection("reconnecting…", false); });
})();
