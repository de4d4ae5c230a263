// Web Push on this device (issue 19): new and nearly-due tickets reach a phone with the app
// closed. The person opts in with the button (browsers ask for the permission only on a tap);
// the service worker subscribes with the server's public key and the subscription is posted
// to the server, once per session. Signing out unsubscribes the device: the next person on a
// shared phone hears nothing of the previous one's tickets.
(function () {
  "use strict";
  var body = document.body;
  var key = body && body.dataset.pushKey;
  var user = body && body.dataset.user;
  var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  var SENT = "hotline-push-sent:" + user;

  function bytes(b64) {
    var s = atob(b64.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((b64.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function csrf() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }
  function post(url, subscription) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(subscription)
    });
  }
  function button() { return document.querySelector("[data-push-toggle]"); }
  function show(state) {
    var b = button();
    if (!b) return;
    b.hidden = false;
    b.dataset.state = state;
    b.textContent = state === "on" ? "关闭推送" : "开启推送";
    b.setAttribute("aria-pressed", state === "on" ? "true" : "false");
  }
  function registration() { return navigator.serviceWorker.ready; }

  function subscribe() {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") throw new Error("denied");
      return registration();
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(key) });
    }).then(function (sub) {
      return post("/push/subscribe/", sub.toJSON()).then(function (r) {
        if (!r.ok) throw new Error("refused");
        sessionStorage.setItem(SENT, "1");
        show("on");
      });
    }).catch(function () { show("off"); });
  }
  function unsubscribe() {
    return registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (!sub) return null;
      return post("/push/unsubscribe/", { endpoint: sub.endpoint }).then(function () { return sub.unsubscribe(); });
    }).then(function () { sessionStorage.removeItem(SENT); show("off"); });
  }

  if (!supported || !key || !user) return;
  document.addEventListener("DOMContentLoaded", function () {
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      show(sub ? "on" : "off");
      // The server keeps one row per device; a session that has not told it yet does so now.
      if (sub && !sessionStorage.getItem(SENT)) {
        post("/push/subscribe/", sub.toJSON()).then(function (r) { if (r.ok) sessionStorage.setItem(SENT, "1"); });
      }
    });
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-push-toggle]");
    if (!b) return;
    if (b.dataset.state === "on") { unsubscribe(); } else { subscribe(); }
  });
  // The server forgets the device on sign-out as well (by the session); the browser's own
  // subscription is dropped here so that nothing arrives for nobody.
  document.addEventListener("submit", function (e) {
    if (!e.target.matches || !e.target.matches("form[data-signout]")) return;
    sessionStorage.removeItem(SENT);
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (sub) sub.unsubscribe();
    });
  });
})();
