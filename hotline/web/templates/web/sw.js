{% load static %}// The workbench's service worker (issue 19): the app installs on a phone and opens offline.
// It keeps the static files only. Pages and API answers hold citizens' data: they are never
// cached on the device, so an offline navigation gets the notice below instead of a stale page.
// A reply typed while offline is kept by the page itself (web/drafts.js), per user.
// A push (web/push.js subscribes) carries a ticket's number and a title only: the notification
// shows them, and a tap opens the ticket's page, which checks the user's scope as always.
"use strict";
var CACHE = "hotline-static-{{ version }}";
var FILES = [
  "{% static 'web/app.css' %}",
  "{% static 'web/app.js' %}",
  "{% static 'web/drafts.js' %}",
  "{% static 'web/push.js' %}",
  "{% static 'vendor/htmx/htmx.min.js' %}",
  "{% static 'web/icon-192.png' %}"
];
var OFFLINE = '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<title>网络未连接 · 12345 一张网</title><link rel="stylesheet" href="{% static "web/app.css" %}"></head>' +
  '<body><main id="main"><h1>网络未连接</h1><p data-testid="offline">网络未连接，页面暂时无法打开。' +
  '已填写的答复草稿保存在本机，联网后回到工单页面即可提交。</p>' +
  '<p><a href="/">重试</a></p></main></body></html>';

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(FILES); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) {
      return caches.delete(k);
    }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var request = e.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    e.respondWith(fetch(request).catch(function () {
      return new Response(OFFLINE, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
    }));
  } else if (url.pathname.indexOf("{% get_static_prefix %}") === 0) {
    e.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
  }
  // Everything else (htmx fragments, the event stream, downloads) goes to the network as is.
});

self.addEventListener("push", function (e) {
  var data = {};
  try { data = e.data ? e.data.json() : {}; } catch (err) { data = {}; }
  var number = typeof data.number === "string" ? data.number : "";
  var title = typeof data.title === "string" && data.title ? data.title : "12345 工单提醒";
  e.waitUntil(self.registration.showNotification(title, {
    body: number ? "工单编号 " + number : "",
    tag: number || "hotline",
    icon: "{% static 'web/icon-192.png' %}",
    data: { url: number ? "/t/" + encodeURIComponent(number) + "/" : "/" }
  }));
});

self.addEventListener("notificationclick", function (e) {
  e.notification.close();
  var url = (e.notification.data && e.notification.data.url) || "/";
  e.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (new URL(list[i].url).pathname === url && "focus" in list[i]) return list[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
