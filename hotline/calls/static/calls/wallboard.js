// 话务监控: figures and the hourly chart from the snapshot; every live message fetches the
// snapshot again (at most one fetch in flight, one more queued), the page never reloads.
(function () {
  "use strict";
  var root = document.getElementById("board");
  if (!root) return;
  var chart = null;
  var longest = { seconds: 0, at: Date.now(), waiting: 0 };

  var picker = document.querySelector("select[data-autosubmit]");
  if (picker) picker.addEventListener("change", function () { picker.form.submit(); });

  function set(id, value) { document.getElementById(id).textContent = value; }
  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function secs(v) { return v === null || v === undefined ? "—" : v + " 秒"; }

  function render(d) {
    set("k-waiting", d.waiting);
    set("k-talking", d.talking);
    ["ready", "on_call", "after_call", "break"].forEach(function (s) { set("k-" + s, d.agents[s]); });
    set("k-offered", d.today.offered);
    set("k-answered", d.today.answered);
    set("k-abandoned", d.today.abandoned);
    set("k-answer_rate", pct(d.today.answer_rate));
    set("k-service_level", pct(d.today.service_level));
    set("k-asa", secs(d.today.asa_seconds));
    set("k-aht", secs(d.today.aht_seconds));
    set("board-at", new Date(d.at).toLocaleTimeString("zh-CN"));
    longest = { seconds: d.longest_wait_seconds, at: Date.now(), waiting: d.waiting };
    tickLongest();
    if (window.echarts) {
      chart = chart || echarts.init(document.getElementById("board-chart"));
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 16, top: 30, bottom: 24 },
        xAxis: { type: "category", data: d.hourly.map(function (h) { return h.hour + "时"; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: "呼入", type: "bar", data: d.hourly.map(function (h) { return h.offered; }) },
          { name: "接听", type: "bar", data: d.hourly.map(function (h) { return h.answered; }) },
          { name: "放弃", type: "line", data: d.hourly.map(function (h) { return h.abandoned; }) },
        ],
      });
    }
  }

  // The longest wait grows by itself between messages while someone is waiting.
  function tickLongest() {
    var s = longest.waiting ? longest.seconds + Math.floor((Date.now() - longest.at) / 1000) : 0;
    set("k-longest", s + " 秒");
  }
  setInterval(tickLongest, 1000);

  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(render)
      .catch(function () { set("live-status", "刷新失败，等待下一次更新"); })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  render(JSON.parse(document.getElementById("board-data").textContent));
  window.hotlineLive(root.dataset.stream, refresh, document.getElementById("live-status"));
})();
