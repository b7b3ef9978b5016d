// The console's agenda tools, drawn onto console.js's agenda (an <ol>, numbered as the agenda)
// after each render: up/down buttons and drag to reorder (an item already voted on keeps its number), the
// confidential switch and the big screen's reveal, and the list of names of a closed named vote.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, A = L.agenda, id = Y.root.dataset.id;
  var named = {};  // poll id -> shown: a list stays open across redraws

  function button(text, cls, onClick, disabled) {
    var b = Y.el("button", { type: "button", "class": cls }, text);
    b.disabled = !!disabled;
    b.addEventListener("click", onClick);
    return b;
  }

  function held(state, itemId) {
    return state.polls.some(function (p) { return p.item === itemId && p.status !== "draft"; });
  }

  function namedList(box, pollId) {
    Y.api("GET", "/api/v1/polls/" + pollId + "/named").then(function (data) {
      var table = Y.el("table", { "class": "list named-list", "data-poll": String(pollId) });
      var body = Y.el("tbody", {});
      data.people.forEach(function (p) {
        var tr = Y.el("tr", { "class": "choice-" + p.choice });
        tr.appendChild(Y.el("td", {}, p.seat ? String(p.seat) : ""));
        tr.appendChild(Y.el("td", {}, p.name));
        tr.appendChild(Y.el("td", {}, L.choices[p.choice]));
        body.appendChild(tr);
      });
      table.appendChild(body);
      box.replaceChildren(data.people.length ? table : Y.el("p", { "class": "muted" }, A.named_none));
    }).catch(function (e) { box.replaceChildren(Y.el("p", { "class": "error" }, e.message)); });
  }

  function decorate(state, act) {
    var lis = Array.prototype.slice.call(document.querySelectorAll("#agenda > li[data-item]"));
    var n = state.items.length;
    state.items.forEach(function (it, i) {
      var li = lis[i];
      if (!li || li.dataset.item !== String(it.id)) { return; }
      var isHeld = held(state, it.id);
      var prevHeld = i > 0 && held(state, state.items[i - 1].id), nextHeld = i < n - 1 && held(state, state.items[i + 1].id);
      var move = function (pos) { act("POST", "/api/v1/meetings/" + id + "/items/" + it.id + "/move", { position: pos }); };
      var tools = Y.el("span", { "class": "agenda-tools" });
      tools.appendChild(button("↑", "move-up", function () { move(it.position - 1); }, i === 0 || isHeld || prevHeld));
      tools.lastChild.title = A.up;
      tools.appendChild(button("↓", "move-down", function () { move(it.position + 1); }, i === n - 1 || isHeld || nextHeld));
      tools.lastChild.title = A.down;
      li.insertBefore(tools, li.firstChild);
      if (isHeld) { li.appendChild(Y.el("span", { "class": "badge held" }, A.held)); }
      if (it.confidential) {
        li.classList.add("confidential");
        li.appendChild(Y.el("span", { "class": "badge secret" }, A.confidential));
        li.appendChild(button(it.revealed ? A.unreveal : A.reveal, "reveal", function () {
          act("POST", "/api/v1/items/" + it.id + "/reveal", { shown: !it.revealed });
        }));
        if (it.revealed) { li.appendChild(Y.el("span", { "class": "badge" }, A.revealed)); }
      }
      li.appendChild(button(it.confidential ? A.unmark : A.mark, "confidential-toggle", function () {
        act("POST", "/api/v1/items/" + it.id + "/confidential", { confidential: !it.confidential });
      }));
      // Drag: drop an item on another to take its place.
      li.draggable = !isHeld;
      li.title = isHeld ? A.held : A.drag;
      li.addEventListener("dragstart", function (ev) { ev.dataTransfer.setData("text/plain", String(it.id)); li.classList.add("dragging"); });
      li.addEventListener("dragend", function () { li.classList.remove("dragging"); });
      li.addEventListener("dragover", function (ev) { ev.preventDefault(); });
      li.addEventListener("drop", function (ev) {
        ev.preventDefault();
        var dragged = parseInt(ev.dataTransfer.getData("text/plain"), 10);
        if (dragged && dragged !== it.id) { act("POST", "/api/v1/meetings/" + id + "/items/" + dragged + "/move", { position: it.position }); }
      });
      state.polls.filter(function (p) { return p.item === it.id && p.mode === "named" && p.status === "closed" && p.method === "electronic"; })
        .forEach(function (p) {
          var row = li.querySelector('[data-poll="' + p.id + '"]');
          if (!row) { return; }
          var box = Y.el("div", { "class": "named-box" });
          row.appendChild(button(A.named, "show-named", function () { named[p.id] = !named[p.id]; if (named[p.id]) { namedList(box, p.id); } else { box.replaceChildren(); } }));
          row.appendChild(box);
          if (named[p.id]) { namedList(box, p.id); }
        });
    });
    var titles = {};
    state.items.forEach(function (it) { titles[it.id] = it.position + ". " + it.title; });
    var wl = document.querySelectorAll("#warnings > li");
    state.warnings.forEach(function (w, i) {
      if (!wl[i]) { return; }
      wl[i].appendChild(Y.el("span", { "class": "muted" }, " — " + titles[w.item] + " / " + titles[w.other] + (w.held ? " " + A.held_warning : "")));
    });
  }

  Y.consoleHooks = (Y.consoleHooks || []).concat([decorate]);
})();
