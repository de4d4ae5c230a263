// The agent's desktop: the screen pop arrives over the live stream and loads without a reload;
// the state panel follows every change of the agent's state; F2/F3/F4 switch state.
(function () {
  "use strict";
  var root = document.getElementById("desk");
  if (!root) return;

  function load(url, target) {
    return htmx.ajax("GET", url, { target: target, swap: "innerHTML" });
  }

  function showPop(message) {
    var pop = document.getElementById("pop");
    var id = String(message.call_id);
    if (pop.dataset.call === id) {
      // The same call moved on (ringing → answered): keep what the agent has typed.
      var state = pop.querySelector("[data-testid=call-state]");
      if (state && message.event === "answered") state.textContent = "通话中";
      return;
    }
    pop.dataset.call = id;
    load(root.dataset.pop + "?call=" + encodeURIComponent(id), "#pop");
  }

  window.hotlineLive(root.dataset.stream, function (message) {
    if (message.kind === "screen_pop") showPop(message);
    else if (message.kind === "agent") load(root.dataset.panel, "#agent-state");
  }, document.getElementById("live-status"));

  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    document.querySelectorAll(".timer[data-since]").forEach(function (el) {
      var s = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.since)) / 1000));
      el.textContent = pad(Math.floor(s / 3600)) + ":" + pad(Math.floor(s % 3600 / 60)) + ":" + pad(s % 60);
    });
  }
  setInterval(tick, 1000);
  tick();
  document.addEventListener("htmx:afterSwap", tick);

  document.addEventListener("keydown", function (e) {
    if (!/^F[234]$/.test(e.key)) return;
    var button = document.querySelector("#agent-state button[data-hotkey=" + e.key + "]");
    if (button && !button.disabled) {
      e.preventDefault();
      button.click();
    }
  });
})();
