// One live stream per page (Server-Sent Events from /realtime/stream/): the browser reconnects
// by itself and sends Last-Event-ID, so nothing published meanwhile is lost.
window.hotlineLive = function (url, onMessage, statusEl) {
  "use strict";
  var source = new EventSource(url);
  function status(text) { if (statusEl) statusEl.textContent = text; }
  source.onopen = function () { status("已连接"); };
  source.onerror = function () { status("重新连接中…"); };
  source.onmessage = function (e) {
    var envelope = JSON.parse(e.data);
    onMessage(envelope.data, envelope.topic);
  };
  return source;
};
