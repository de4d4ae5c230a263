// Drafts kept on the device (issue 19): a reply typed on a phone survives a dropped network.
// A form with data-draft="<what>" is saved to localStorage as it is typed, under the signed-in
// user's id; sent while offline, it is held and sent once when the network is back. Drafts
// never outlive their user on this device: another user's are dropped on sight, all are
// dropped on signing out (or on any page without a signed-in user), and one is removed as soon
// as the server has taken it.
(function () {
  "use strict";
  var PREFIX = "hotline-draft:";
  var user = document.body ? document.body.dataset.user || "" : "";

  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function keyOf(form) { return PREFIX + user + ":" + form.dataset.draft; }

  function sweep(all) {
    var s = store();
    if (!s) return;
    for (var i = s.length - 1; i >= 0; i--) {
      var k = s.key(i);
      if (k && k.indexOf(PREFIX) === 0 && (all || !user || k.indexOf(PREFIX + user + ":") !== 0)) s.removeItem(k);
    }
  }
  function fields(form) {
    return form.querySelectorAll("textarea[name], input[name]:not([type=file]):not([type=hidden]):not([type=checkbox]):not([type=radio]), select[name]");
  }
  function load(form) {
    var s = store();
    try { return s && JSON.parse(s.getItem(keyOf(form)) || "null"); } catch (e) { return null; }
  }
  function save(form, pending) {
    var s = store();
    if (!s || !user) return;
    var values = {}, any = false;
    fields(form).forEach(function (f) { values[f.name] = f.value; any = any || f.value.trim() !== ""; });
    if (!any) { s.removeItem(keyOf(form)); return; }
    s.setItem(keyOf(form), JSON.stringify({ values: values, pending: !!pending, saved: Date.now() }));
  }
  function drop(form) { var s = store(); if (s) s.removeItem(keyOf(form)); }
  function note(form, text) {
    var el = form.querySelector(".draft-note");
    if (!el) {
      el = document.createElement("p");
      el.className = "draft-note";
      el.setAttribute("role", "status");
      el.dataset.testid = "draft-note";
      form.appendChild(el);
    }
    el.textContent = text;
  }
  function restore(root) {
    (root || document).querySelectorAll("form[data-draft]").forEach(function (form) {
      var d = load(form);
      if (!d) return;
      fields(form).forEach(function (f) { if (d.values[f.name] && !f.value) f.value = d.values[f.name]; });
      var when = new Date(d.saved).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
      note(form, "已恢复本机保存的草稿（" + when + "），确认后提交。");
    });
  }
  // The form that sent the request. After a swap took the form out of the page, htmx tells
  // its parent still in the page instead, with that parent as detail.elt.
  function formOf(e) {
    var d = e.detail || {};
    var elt = (d.requestConfig && d.requestConfig.elt) || d.elt;
    return elt && elt.matches && elt.matches("form[data-draft]") ? elt : null;
  }

  sweep(false);
  // htmx:load: the page's content once, then each piece a swap puts in (an outerHTML swap's
  // new element too, which htmx:afterSwap would announce on the old one, out of the page).
  document.addEventListener("DOMContentLoaded", function () { restore(); });
  document.addEventListener("htmx:load", function (e) { if (e.target !== document.body) restore(e.target); });
  document.addEventListener("input", function (e) {
    var form = e.target.closest && e.target.closest("form[data-draft]");
    if (form) save(form, false);
  });
  // Offline: hold the request, keep the draft, say so. The draft is sent when the network is back.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = formOf(e);
    if (!form || navigator.onLine) return;
    e.preventDefault();
    save(form, true);
    note(form, "网络未连接：草稿已保存在本机，联网后自动提交。");
  });
  document.addEventListener("htmx:sendError", function (e) {
    var form = formOf(e);
    if (!form) return;
    save(form, true);
    note(form, "网络中断，未能提交：草稿已保存在本机，联网后自动提交。");
  });
  // Taken by the server (a refusal comes back as the form again with its error: kept then).
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = formOf(e);
    var xhr = e.detail.xhr;
    if (form && e.detail.successful && xhr && xhr.responseText.indexOf('data-testid="error"') < 0) drop(form);
  });
  // Back online: each held draft is sent once (the mark is cleared before sending).
  window.addEventListener("online", function () {
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var d = load(form);
      if (!d || !d.pending) return;
      save(form, false);
      note(form, "网络已恢复，正在提交草稿……");
      form.requestSubmit();
    });
  });
  // Signing out leaves no draft behind on a shared phone.
  document.addEventListener("submit", function (e) {
    if (e.target.matches && e.target.matches("form[data-signout]")) sweep(true);
  });
  if (user && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch(function () { /* the pages work without it */ });
  }
})();
