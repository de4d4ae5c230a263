// The incident banner on the agent's desktop: the approved 口径 of every running incident.
// Loaded at once, then again on every "incident" message of the agent's live stream (a new
// version replaces the old within seconds); pages without a stream (temporary agents hold no
// role for live push) poll instead.
(function () {
  "use strict";
  var root = document.getElementById("incident-banner");
  if (!root) return;
  var busy = false, again = false;

  function load() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(root.dataset.url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) root.innerHTML = html; })
      .finally(function () {
        busy = false;
        if (again) { again = false; load(); }
      });
  }

  if (root.dataset.stream) {
    var source = new EventSource(root.dataset.stream);
    source.onmessage = function (e) {
      var envelope = JSON.parse(e.data);
      if (envelope.data && envelope.data.kind === "incident") load();
    };
    load();
  } else if (root.dataset.poll) {
    setInterval(load, Number(root.dataset.poll) * 1000);
  }
})();
