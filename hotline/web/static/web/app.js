// Workbench behaviour: live countdowns, Ctrl+Enter to submit, citing a knowledge article.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // Remaining time in Chinese; the server's colour class stays until the deadline passes.
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.dataset.deadline) - now) / 1000);
      var late = left < 0;
      var s = Math.abs(left);
      var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
      var text = (d ? d + "天" : "") + pad(h) + "时" + pad(m) + "分" + pad(s % 60) + "秒";
      el.textContent = late ? "已超期 " + text : "剩余 " + text;
      if (late) {
        el.classList.remove("state-on_time", "state-due_soon");
        el.classList.add("state-overdue");
      }
    });
  }
  setInterval(tick, 1000);

  // Requests that poll by themselves (data-poll) are not the user's activity: the server's
  // idle timeout (hotline/identity/middleware.py) must not be kept alive by them.
  document.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("[data-poll]")) {
      e.detail.headers["X-Hotline-Poll"] = "1";
    }
  });
  // On a phone a table row is a card (app.css); each cell carries its column's name so that
  // the card still says what each value is. Any table of any page gets this, also after a swap.
  function labelCells(root) {
    (root || document).querySelectorAll("table").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) return;
      var names = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (td, i) {
          if (!td.hasAttribute("data-label") && names[i] && !td.hasAttribute("colspan")) {
            td.setAttribute("data-label", names[i]);
          }
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); labelCells(); });
  document.addEventListener("htmx:afterSwap", function () { tick(); labelCells(); });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      var form = e.target.closest && e.target.closest("form");
      if (form) {
        e.preventDefault();
        var primary = form.querySelector("button[type=submit]");
        form.requestSubmit(primary || undefined);
      }
    }
  });

  // The agent's keys at intake (issue 19): Alt+H to the caller's history (Enter opens a ticket),
  // Alt+A takes the suggested category, Alt+C back to the category picker.
  var KEYS = {
    h: function () { return document.querySelector("#caller-history a"); },
    a: function () { return document.querySelector("#suggestions button.fill"); },
    c: function () { return document.getElementById("category_name"); }
  };
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || !document.getElementById("intake-form")) return;
    var find = KEYS[e.key.toLowerCase()];
    var el = find && find();
    if (!el) return;
    e.preventDefault();
    if (el.matches("button.fill")) { el.click(); } else { el.focus(); }
  });

  // 工单打印: the print button (no inline handler: the content security policy forbids them).
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) window.print();
  });

  // "采用": a suggestion fills the field it names.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button.fill");
    if (!btn) return;
    var field = document.getElementById(btn.dataset.target);
    if (field) { field.value = btn.dataset.value; field.focus(); }
  });

  // "引用此条答复": the article's text becomes the reply, its reference goes with it.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest && e.target.closest("button.cite");
    if (!btn) return;
    var body = document.getElementById(btn.dataset.body);
    var reply = document.getElementById("reply");
    var article = document.getElementById("article");
    if (reply && body) reply.value = body.innerHTML.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").trim();
    if (article) article.value = btn.dataset.ref;
    if (reply) reply.focus();
  });
})();
