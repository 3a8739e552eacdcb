// The little the dashboard needs beyond htmx: mirror the revision onto the page
// root, show the connection state, keep the feeds bounded (no growing DOM),
// keep the time-travel slider's range at the live revision, hide the live
// map while a past one is shown, and re-send the feed filters after a reconnect.
(function () {
  "use strict";
  function root() { return document.getElementById("dashboard"); }
  function setConnection(text, live) {
    var badge = document.getElementById("connection");
    if (badge) { badge.textContent = text; badge.className = "badge" + (live ? " live" : " down"); }
  }
  function travelling() {
    var r = root();
    if (r) { r.classList.toggle("travelling", !!document.querySelector("#travel[data-travel-revision]")); }
  }
  document.addEventListener("htmx:wsAfterMessage", function () {
    var rev = document.getElementById("revision");
    if (rev && root()) {
      root().dataset.revision = rev.dataset.revision;
      var slider = document.getElementById("travel-slider");
      if (slider) {
        var follow = slider.value === slider.max;
        slider.max = rev.dataset.revision;
        if (follow) { slider.value = slider.max; }
      }
    }
    document.querySelectorAll("[data-cap]").forEach(function (list) {
      var cap = parseInt(list.dataset.cap, 10);
      while (list.children.length > cap) { list.removeChild(list.lastElementChild); }
    });
  });
  // a button with data-target and no hx-vals (a pod's crash / delete) posts its target
  document.addEventListener("htmx:configRequest", function (event) {
    var target = event.detail.elt.dataset && event.detail.elt.dataset.target;
    if (target && !event.detail.elt.hasAttribute("hx-vals") && !event.detail.parameters.target) {
      event.detail.parameters.target = target;
    }
  });
  // a pod's name opens its scheduling decision in the scheduler panel
  document.addEventListener("click", function (event) {
    var name = event.target.closest && event.target.closest(".pod-name");
    var pod = name && name.closest("[data-pod]"), input = document.getElementById("sched-pod");
    if (pod && input) {
      input.value = pod.dataset.pod;
      htmx.trigger(input.form, "submit");
      input.scrollIntoView({block: "center"});
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target.id === "travel-slider") {
      document.getElementById("travel-revision").value = event.target.value;
    }
  });
  document.addEventListener("htmx:afterSettle", travelling);
  // a reconnect is a new consumer with no filters: send the page's current ones again
  document.addEventListener("htmx:wsOpen", function () {
    var controller = document.getElementById("trace-controller"), idle = document.getElementById("trace-idle");
    var prefix = document.getElementById("cdc-prefix");
    if (controller && (controller.value || (idle && idle.checked))) { htmx.trigger(controller.form, "change"); }
    if (prefix && prefix.value) { htmx.trigger(prefix.form, "submit"); }
    var pod = document.getElementById("sched-pod");
    if (pod && pod.value) { htmx.trigger(pod.form, "submit"); }
  });
  document.addEventListener("htmx:wsClose", function (event) {
    setConnection("reconnecting…", false);
    // 4012: the server's watch ended (an etcd restore) and it asks for a fresh snapshot; the ws
    // extension reconnects by itself only on 1006/1011/1012/1013, which daphne cannot send
    var closed = event.detail && event.detail.event, socket = event.detail && event.detail.socketWrapper;
    if (closed && closed.code === 4012 && socket) { setTimeout(socket.reconnect, 250 + Math.random() * 750); }
  });
  document.addEventListener("htmx:wsError", function () { setConnection("reconnecting…", false); });
})();
