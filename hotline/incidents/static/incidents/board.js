// The incident's live board: figures, volume per hour (ECharts) and the questions the 口径
// leaves open, from the board endpoint, fetched again every 15 seconds.
(function () {
  "use strict";
  var root = document.getElementById("incident-board");
  if (!root) return;
  var chart = null;

  function set(id, value) { document.getElementById(id).textContent = value; }

  function render(d) {
    set("b-total", d.total);
    set("b-share", d.first_contact_share === null ? "—" : (d.first_contact_share * 100).toFixed(1) + "%");
    set("b-groups", d.groups);
    set("b-replies", d.replies_sent + " / " + d.replies_all);
    set("b-signed", d.staffing.signed_in);
    set("b-extra", d.staffing.extra);
    var body = document.getElementById("b-uncovered");
    body.textContent = "";
    d.uncovered.forEach(function (u) {
      var tr = document.createElement("tr");
      [u.word, u.n, u.example].forEach(function (v) {
        var td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    if (!d.uncovered.length) {
      var tr = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = 3;
      td.className = "muted";
      td.textContent = "暂无：口径未覆盖的问题中，还没有被问到两次以上的";
      tr.appendChild(td);
      body.appendChild(tr);
    }
    if (window.echarts) {
      chart = chart || echarts.init(document.getElementById("incident-chart"));
      chart.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 16, top: 16, bottom: 24 },
        xAxis: { type: "category", data: d.per_hour.map(function (h) { return h.hour; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: "事件工单", type: "bar", barMaxWidth: 48, data: d.per_hour.map(function (h) { return h.n; }) }]
      });
    }
  }

  function load() {
    fetch(root.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) render(d); });
  }
  load();
  setInterval(load, 15000);
})();
