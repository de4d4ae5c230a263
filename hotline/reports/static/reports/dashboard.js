// The dashboard (大屏): four JSON panels fetched every 30 s and applied with setOption,
// so the page never reloads and the charts only animate to their new values.
(function () {
  "use strict";
  const root = document.getElementById("screen");
  const api = root.dataset.api;
  const region = root.dataset.region;
  const every = Number(root.dataset.refresh) || 30000;
  const axis = { axisLine: { lineStyle: { color: "#5b7bb0" } }, axisLabel: { color: "#c5d4ea" },
    splitLine: { lineStyle: { color: "#1c3560" } } };
  const charts = {};

  // Choosing another region reloads the page for it (no inline handler: the CSP forbids them).
  const picker = document.querySelector("select[data-autosubmit]");
  if (picker) picker.addEventListener("change", () => picker.form.submit());

  // The charts' text grows with the page's (dashboard.css: 16 px at 1920 wide, 32 px at 4K).
  function scale() { return parseFloat(getComputedStyle(document.documentElement).fontSize) / 16; }
  function chart(id) {
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  function draw(id, option, opts) {
    const k = scale();
    const text = { fontSize: Math.round(12 * k) };
    ["xAxis", "yAxis"].forEach((a) => {
      if (option[a]) option[a] = { ...option[a], axisLabel: { ...option[a].axisLabel, ...text } };
    });
    if (option.legend) option.legend = { ...option.legend, textStyle: { ...option.legend.textStyle, ...text } };
    if (option.grid) {
      option.grid = Object.fromEntries(Object.entries(option.grid).map(([key, v]) => [key, v * k]));
    }
    (option.series || []).forEach((s) => { if (s.label) s.label = { ...s.label, ...text }; });
    chart(id).setOption({ textStyle: text, ...option }, opts);
  }

  function get(panel) {
    return fetch(`${api}${panel}?region=${encodeURIComponent(region)}`, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).then((r) => {
      if (!r.ok) return r.json().then((e) => { throw new Error(e.message_zh || r.statusText); });
      return r.json();
    });
  }

  function setText(id, value) { document.getElementById(id).textContent = value; }

  function showToday(d) {
    setText("kpi-today", d.total.toLocaleString("zh-CN"));
    setText("kpi-open", d.open.toLocaleString("zh-CN"));
    setText("kpi-overdue", d.overdue.toLocaleString("zh-CN"));
    const hours = Array.from({ length: 24 }, (_, h) => `${h}时`);
    draw("chart-hours", {
      color: ["#4fd1ff", "#ffb84f", "#7ee787", "#ff7b9c", "#b79cff", "#ffd166", "#5ec2b7", "#9db4d6"],
      tooltip: { trigger: "axis" },
      legend: { textStyle: { color: "#c5d4ea" }, top: 0 },
      grid: { left: 40, right: 16, top: 30, bottom: 24 },
      xAxis: { type: "category", data: hours, ...axis },
      yAxis: { type: "value", minInterval: 1, ...axis },
      series: d.channels.map((c) => ({ name: c.label, type: "bar", stack: "all", data: c.hours })),
    }, { replaceMerge: ["series"] });
  }

  function bars(id, rows, color) {
    const shown = rows.slice().reverse();
    draw(id, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 100, right: 40, top: 8, bottom: 20 },
      xAxis: { type: "value", minInterval: 1, ...axis },
      yAxis: { type: "category", data: shown.map((r) => r.label), ...axis },
      series: [{ type: "bar", data: shown.map((r) => r.count), itemStyle: { color },
        label: { show: true, position: "right", color: "#dce6f5" } }],
    });
  }

  function showTop(d) {
    bars("chart-categories", d.categories, "#4fd1ff");
    bars("chart-regions", d.regions, "#7ee787");
  }

  function showSatisfaction(d) {
    const rated = d.days.reduce((s, x) => s + x.rated, 0);
    const good = d.days.reduce((s, x) => s + (x.rate === null ? 0 : x.rate * x.rated / 100), 0);
    setText("kpi-satisfaction", rated ? `${(good * 100 / rated).toFixed(1)}%` : "—");
    draw("chart-satisfaction", {
      tooltip: { trigger: "axis" },
      grid: { left: 44, right: 16, top: 12, bottom: 24 },
      xAxis: { type: "category", data: d.days.map((x) => x.day.slice(5)), ...axis },
      yAxis: { type: "value", min: (v) => Math.max(0, Math.floor(v.min - 5)), max: 100, ...axis },
      series: [{ type: "line", smooth: true, connectNulls: true, data: d.days.map((x) => x.rate),
        itemStyle: { color: "#ffd166" }, areaStyle: { opacity: 0.15 } }],
    });
  }

  function item(tagText, early, at, text) {
    const li = document.createElement("li");
    const tag = document.createElement("span");
    tag.className = early ? "tag early" : "tag";
    tag.textContent = tagText;
    const time = document.createElement("time");
    time.textContent = new Date(at).toLocaleString("zh-CN", { hour12: false, month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit" });
    li.append(tag, time, document.createTextNode(text));
    return li;
  }

  function showWarnings(d) {
    const list = document.getElementById("alerts");
    const items = [
      ...d.early.map((w) => [w.at, item(w.kind, true, w.at, w.title)]),
      ...d.alerts.map((a) => [a.at, item(a.kind, false, a.at, `${a.ticket} ${a.message}`)]),
    ].sort((a, b) => (a[0] < b[0] ? 1 : -1)).map((x) => x[1]);
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "暂无风险预警";
      items.push(li);
    }
    list.replaceChildren(...items);
  }

  function refresh() {
    const error = document.getElementById("error");
    Promise.all([
      get("today").then(showToday),
      get("top").then(showTop),
      get("satisfaction").then(showSatisfaction),
      get("warnings").then(showWarnings),
    ]).then(() => {
      error.hidden = true;
      setText("updated", new Date().toLocaleTimeString("zh-CN", { hour12: false }));
    }).catch((e) => {
      error.hidden = false;
      error.textContent = `数据刷新失败：${e.message}（30 秒后重试）`;
    });
  }

  refresh();
  setInterval(refresh, every);
  window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
})();
