// The incident banner on the agent's desktop: the approved 口径 of every running incident.
// Loaded at once; then each "incident" message of the agent's live stream carries the new 口径,
// shown as it comes (a thousand desktops hear one message at once: none of them asks the
// server again), and only an incident not yet on the banner loads it. Pages without a stream
// (temporary agents hold no role for live push) poll instead.
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

  // Shows the message's 口径 on its incident's card; false when the card is not there yet.
  function show(m) {
    var card = root.querySelector('[data-incident="' + m.incident_id + '"]');
    if (m.version === null) {  // the incident ended
      if (card) card.remove();
      return true;
    }
    if (!card) return false;
    if (Number(card.dataset.version) >= m.version) return true;  // a late, older message
    card.dataset.version = String(m.version);
    card.querySelector('[data-testid="incident-version"]').textContent = String(m.version);
    var text = card.querySelector('[data-testid="incident-script"]');
    text.textContent = "";
    m.body.split("\n").forEach(function (line, i) {
      if (i) text.appendChild(document.createElement("br"));
      text.appendChild(document.createTextNode(line));
    });
    return true;
  }

  if (root.dataset.stream) {
    var source = new EventSource(root.dataset.stream);
    source.onmessage = function (e) {
      var m = JSON.parse(e.data).data;
      if (m && m.kind === "incident" && (busy || !show(m))) load();
    };
    load();
  } else if (root.dataset.poll) {
    setInterval(load, Number(root.dataset.poll) * 1000);
  }
})();
