// Drafts kept on the device (issue 19): a reply typed on a phone survives a dropped network.
// A form with data-draft="<what>" is saved to localStorage as it is typed, under the signed-in
// user's id; sent while offline, it is held and sent once when the network is back. Drafts
// never outlive their user on this device: another user's are dropped on sight, all are
// dropped on signing out (or on any page without a signed-in user), and one is removed as soon
// as the server has taken it. Photos chosen for a draft are kept with it in IndexedDB (files
// do not fit in localStorage) under the same key, and put back into the file field on restore.
(function () {
  "use strict";
  var PREFIX = "hotline-draft:";
  var user = document.body ? document.body.dataset.user || "" : "";

  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function keyOf(form) { return PREFIX + user + ":" + form.dataset.draft; }

  // Whose key `k` is not to be kept: every draft (all), or any but the signed-in user's.
  function foreign(k, all) { return k.indexOf(PREFIX) === 0 && (all || !user || k.indexOf(PREFIX + user + ":") !== 0); }
  function sweep(all) {
    var s = store();
    if (s) {
      for (var i = s.length - 1; i >= 0; i--) {
        var k = s.key(i);
        if (k && foreign(k, all)) s.removeItem(k);
      }
    }
    files("readwrite", function (os) {
      var r = os.openCursor();
      r.onsuccess = function () {
        var c = r.result;
        if (!c) return;
        if (foreign(String(c.key), all)) c.delete();
        c.continue();
      };
    });
  }

  // The draft's photos: one IndexedDB record per draft, [{field, file}], File objects as chosen.
  function files(mode, work) {
    return new Promise(function (resolve) {
      var open;
      try { open = window.indexedDB.open("hotline-drafts", 1); } catch (e) { resolve(null); return; }
      open.onupgradeneeded = function () { open.result.createObjectStore("files"); };
      open.onerror = function () { resolve(null); };
      open.onsuccess = function () {
        var db = open.result, tx = db.transaction("files", mode), req = work(tx.objectStore("files"));
        tx.oncomplete = function () { db.close(); resolve(req ? req.result : null); };
        tx.onerror = tx.onabort = function () { db.close(); resolve(null); };
      };
    });
  }
  function fileInputs(form) { return form.querySelectorAll("input[type=file][name]"); }
  function chosen(form) {
    var out = [];
    fileInputs(form).forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { out.push({ field: input.name, file: f }); });
    });
    return out;
  }
  function keepFiles(form) {
    if (!user) return Promise.resolve();
    var list = chosen(form), key = keyOf(form);
    return files("readwrite", function (os) { return list.length ? os.put(list, key) : os.delete(key); });
  }
  function restoreFiles(form) {
    return files("readonly", function (os) { return os.get(keyOf(form)); }).then(function (list) {
      if (!list || !list.length || typeof DataTransfer === "undefined") return 0;
      var n = 0;
      fileInputs(form).forEach(function (input) {
        if (input.files && input.files.length) return;  // chosen anew: the person's choice wins
        var dt = new DataTransfer();
        list.forEach(function (item) { if (item.field === input.name) { dt.items.add(item.file); n++; } });
        if (dt.files.length) input.files = dt.files;
      });
      return n;
    });
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
    var values = {}, any = chosen(form).length > 0;
    fields(form).forEach(function (f) { values[f.name] = f.value; any = any || f.value.trim() !== ""; });
    if (!any) { s.removeItem(keyOf(form)); return; }
    s.setItem(keyOf(form), JSON.stringify({ values: values, pending: !!pending, saved: Date.now() }));
  }
  function drop(form) {
    var s = store(), key = keyOf(form);
    if (s) s.removeItem(key);
    files("readwrite", function (os) { return os.delete(key); });
  }
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
      form.dataset.restoring = "1";
      restoreFiles(form).then(function (n) {
        delete form.dataset.restoring;
        if (n) note(form, "已恢复本机保存的草稿（" + when + "）及 " + n + " 张照片，确认后提交。");
      });
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
  // A photo taken or chosen is kept at once: the phone may lose the network (or the page) next.
  document.addEventListener("change", function (e) {
    var form = e.target.matches && e.target.matches("input[type=file]") && e.target.closest("form[data-draft]");
    if (!form) return;
    save(form, false);
    keepFiles(form);
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
