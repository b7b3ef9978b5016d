// 同屏 on the console: present a material, hand the page turning to someone with one choice,
// take it back, stop. Its own script and card (meetings/_presenter_panel.html), beside console.js.
(function () {
  "use strict";
  var Y = window.Yishi, id = Y.root.dataset.id;
  var card = document.getElementById("presenter-card");
  var $ = function (sel) { return document.getElementById(sel); };
  var state = { active: false }, materials = [], roster = [];

  function say(text, bad) { $("presenter-status").textContent = text; $("presenter-status").classList.toggle("error", !!bad); }
  function fail(e) { say(e.message, true); }

  function render() {
    $("presenter-controls").hidden = !state.active;
    if (state.active) {
      say(Y.fmt(card.dataset.active, { title: state.title, page: state.page, pages: state.pages, name: state.driver_name }));
      $("presenter-open").href = "/documents/" + state.document + "?meeting=" + id;
      var sel = $("presenter-driver");
      sel.replaceChildren();
      roster.forEach(function (p) {
        var o = Y.el("option", { value: String(p.id) }, (p.seat ? p.seat + " " : "") + p.name);
        if (p.id === state.driver) { o.selected = true; }
        sel.appendChild(o);
      });
      if (!roster.some(function (p) { return p.id === state.driver; })) {
        var o = Y.el("option", { value: String(state.driver) }, state.driver_name);
        o.selected = true;
        sel.insertBefore(o, sel.firstChild);
      }
    } else {
      say(card.dataset.idle);
    }
    var ul = $("presenter-materials");
    ul.replaceChildren();
    materials.forEach(function (m) {
      var li = Y.el("li", { "data-material": String(m.id) });
      var now = state.active && state.material === m.id;
      var b = Y.el("button", { type: "button", "class": "presenter-start" + (now ? " primary" : "") }, now ? card.dataset.now : card.dataset.start);
      b.disabled = now;
      b.addEventListener("click", function () {
        Y.api("POST", "/api/v1/meetings/" + id + "/presenter", { material: m.id }).then(show).catch(fail);
      });
      li.appendChild(b);
      li.appendChild(Y.el("span", {}, " " + m.title));
      ul.appendChild(li);
    });
  }
  function show(s) { if (s) { state = s; } render(); }

  function load() {
    Promise.all([
      Y.api("GET", "/api/v1/meetings/" + id),
      Y.api("GET", "/api/v1/meetings/" + id + "/console"),
      Y.api("GET", "/api/v1/meetings/" + id + "/presenter"),
    ]).then(function (r) {
      materials = r[0].materials.filter(function (m) { return m.published; });
      roster = r[1].roster.filter(function (p) { return p.capacity === "member" || p.capacity === "attendee"; });
      show(r[2]);
    }).catch(fail);
  }

  $("presenter-driver").addEventListener("change", function () {
    Y.api("POST", "/api/v1/meetings/" + id + "/presenter/driver", { driver: parseInt($("presenter-driver").value, 10) }).then(show).catch(fail);
  });
  $("presenter-take").addEventListener("click", function () {
    Y.api("POST", "/api/v1/meetings/" + id + "/presenter/driver", { driver: parseInt(card.dataset.me, 10) }).then(show).catch(fail);
  });
  $("presenter-stop").addEventListener("click", function () {
    Y.api("DELETE", "/api/v1/meetings/" + id + "/presenter").then(show).catch(fail);
  });
  Y.live({ presenter: function (s) { if (!s.active || s.seq >= (state.seq || 0) || s.material !== state.material) { show(s); } }, materials: load, connected: load });
})();
