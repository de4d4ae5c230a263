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
  // What works only with scripts (a finder over a plain select) is hidden in the HTML and
  // shown here, so that a page without scripts shows only what works there.
  function showScripted(root) {
    (root || document).querySelectorAll("[data-js-only][hidden]").forEach(function (el) { el.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); labelCells(); showScripted(); });
  document.addEventListener("htmx:afterSwap", function () { tick(); labelCells(); showScripted(); });

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
    c: function () { return document.getElementById("category_name"); },
    r: function () { return document.getElementById("region_q"); }
  };
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || e.ctrlKey || e.metaKey || !document.getElementById("intake-form")) return;
    var find = KEYS[e.key.toLowerCase()];
    var el = find && find();
    if (!el) return;
    e.preventDefault();
    if (el.matches("button.fill")) { el.click(); } else { el.focus(); }
  });

  // The category picker (a combobox over the list the server found, by words or by pinyin
  // initials): ↓/↑ move through the options, Enter takes one (and does not submit), Esc closes.
  function comboParts(el) {
    var input = el && el.closest && el.closest(".combo") && el.closest(".combo").querySelector("[role=combobox]");
    return input ? { input: input, list: document.getElementById(input.getAttribute("aria-controls")) } : null;
  }
  function comboOpen(c, open) {
    open = open && c.list.children.length > 0;
    c.list.hidden = !open;
    c.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) comboActive(c, null);
  }
  function comboActive(c, option) {
    c.list.querySelectorAll("[aria-selected=true]").forEach(function (o) { o.setAttribute("aria-selected", "false"); });
    if (option) {
      option.setAttribute("aria-selected", "true");
      c.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      c.input.removeAttribute("aria-activedescendant");
    }
  }
  function comboTake(c, option) {
    c.input.value = option.dataset.value;
    comboOpen(c, false);
    c.input.focus();
    // A unit finder sets the select that is the form's real field (the dispatch form).
    var select = c.list.dataset.select && document.getElementById(c.list.dataset.select);
    if (select && option.dataset.code) {
      select.value = option.dataset.code;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    // A region sets the cascade's selects to itself and the levels above it.
    if (option.dataset.levels && c.list.dataset.cascade && window.htmx) {
      htmx.ajax("GET", c.list.dataset.cascade + "?" + option.dataset.levels, { target: "#region-levels", swap: "innerHTML" });
    }
  }
  // An option is known by what it sets (a unit's code, else its text), not by its place: a
  // list that arrives late has new elements, maybe in another order.
  function optionKey(option) { return option.dataset.code || option.dataset.value; }
  // The option the agent marked with ↓/↑ before a late search list replaced the options.
  var marked = new WeakMap();
  document.addEventListener("htmx:beforeSwap", function (e) {
    var c = comboParts(e.detail.target);
    if (!c || e.detail.target !== c.list) return;
    var current = c.list.querySelector("[aria-selected=true]");
    if (current) { marked.set(c.list, optionKey(current)); } else { marked.delete(c.list); }
  });
  // A list that arrives opens only in the focused field, and not after Esc: a search sent
  // before the agent closed the list must not open it again (typing again does). The marked
  // option stays marked when the new list holds it, so Enter takes what the agent chose.
  document.addEventListener("htmx:afterSwap", function (e) {
    var c = comboParts(e.detail.target);
    if (!c || e.detail.target !== c.list) return;
    comboOpen(c, document.activeElement === c.input && !c.input.dataset.closed);
    var key = marked.get(c.list);
    marked.delete(c.list);
    var again = key && !c.list.hidden && Array.prototype.find.call(c.list.children, function (o) { return optionKey(o) === key; });
    comboActive(c, again || null);
  });
  document.addEventListener("input", function (e) {
    if (e.target.matches && e.target.matches(".combo [role=combobox]")) delete e.target.dataset.closed;
  });
  document.addEventListener("keydown", function (e) {
    if (!e.target.matches || !e.target.matches(".combo [role=combobox]")) return;
    var c = comboParts(e.target);
    var options = Array.prototype.slice.call(c.list.children);
    var current = c.list.querySelector("[aria-selected=true]");
    var i = options.indexOf(current);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!options.length) return;
      e.preventDefault();
      delete c.input.dataset.closed;
      comboOpen(c, true);
      var next = e.key === "ArrowDown" ? (i + 1) % options.length : (i <= 0 ? options.length - 1 : i - 1);
      comboActive(c, options[next]);
    } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey && current && !c.list.hidden) {
      e.preventDefault();
      comboTake(c, current);
    } else if (e.key === "Escape" && !c.list.hidden) {
      e.preventDefault();
      c.input.dataset.closed = "1";
      comboOpen(c, false);
    }
  });
  // A click on an option takes it; mousedown is held so that the field keeps the focus.
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest(".combo [role=option]")) e.preventDefault();
  });
  document.addEventListener("click", function (e) {
    var option = e.target.closest && e.target.closest(".combo [role=option]");
    if (option) comboTake(comboParts(option), option);
  });
  document.addEventListener("focusout", function (e) {
    if (e.target.matches && e.target.matches(".combo [role=combobox]")) comboOpen(comboParts(e.target), false);
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
