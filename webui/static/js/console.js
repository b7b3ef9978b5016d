// The secretary's console: sign-in and attendance, agenda and votes, materials, the floor.
// It redraws from /api/v1/meetings/<id>/console whenever the live stream says something changed.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, U = L.ux, id = Y.root.dataset.id, Sheets = window.YishiConsoleSheets;
  var $ = function (sel) { return document.getElementById(sel); };
  var state = null;

  function say(msg, ok) { $("console-status").textContent = msg; $("console-status").className = "status " + (ok ? "ok" : "error"); }
  function act(method, url, body, isForm) {
    return Y.api(method, url, body, isForm).then(function (r) { say(U.done_ok, true); load(); return r; })
      .catch(function (e) { say(e.message, false); throw e; });
  }
  // An irreversible action waits for the shared confirm dialog (confirm.js), which states what it does.
  function confirmed(message, okLabel, run) {
    return window.YishiConfirm ? window.YishiConfirm(message, okLabel).then(function (yes) { if (yes) { run(); } }) : run();
  }
  function closePoll(p) {
    confirmed(U.close_poll_q, L.close, function () { act("POST", "/api/v1/polls/" + p.id + "/close"); });
  }
  // 未表决 / 表决中 / 通过 / 未通过: where an item stands, shown instead of its controls once voted.
  function itemState(polls) {
    if (polls.some(function (p) { return p.status === "open"; })) { return "open"; }
    var closed = polls.filter(function (p) { return p.status === "closed" && p.result; });
    if (!closed.length) { return polls.some(function (p) { return p.status === "draft"; }) ? "draft" : "none"; }
    var last = closed[closed.length - 1].result;
    return last.passed === undefined || last.passed === null ? "done" : last.passed ? "passed" : "failed";
  }
  function button(text, cls, onClick) {
    var b = Y.el("button", { type: "button", "class": cls || "" }, text);
    b.addEventListener("click", onClick);
    return b;
  }
  function askReason(row, label, run) {
    var form = Y.el("form", { "class": "inline" });
    var input = Y.el("input", { name: "reason", placeholder: L.reason_prompt, required: true, maxLength: 200 });
    input.setAttribute("aria-label", L.reason_prompt);
    form.appendChild(input);
    form.appendChild(Y.el("button", { "class": "primary" }, label));
    form.addEventListener("submit", function (ev) { ev.preventDefault(); run(input.value); });
    row.replaceChildren(form);
    input.focus();
  }

  function renderRoster() {
    var body = $("roster").tBodies[0];
    body.replaceChildren();
    state.roster.forEach(function (p) {
      var tr = Y.el("tr", { "class": "status-" + p.status, "data-person": String(p.id) });
      tr.appendChild(Y.el("td", {}, p.seat ? String(p.seat) : ""));
      tr.appendChild(Y.el("td", {}, (p.capacity === "attendee" ? Y.fmt(U.attendee, { name: p.name }) : p.name)));
      tr.appendChild(Y.el("td", { "class": "state" }, (p.reason ? Y.fmt(U.with_reason, { status: L.status[p.status], reason: p.reason }) : L.status[p.status]) + (p.proxy ? Y.fmt(U.aside, { x: p.proxy }) : "")));
      var actions = Y.el("td", {});
      if (p.status !== "present") {
        actions.appendChild(button(L.proxy, "proxy", function () {
          askReason(actions, L.proxy, function (reason) { act("POST", "/api/v1/meetings/" + id + "/people/" + p.id + "/signin", { reason: reason }); });
        }));
      }
      if (p.status === "expected" && p.capacity === "member") {
        actions.appendChild(button(L.excuse, "excuse", function () {
          askReason(actions, L.excuse, function (reason) { act("POST", "/api/v1/meetings/" + id + "/people/" + p.id + "/excuse", { reason: reason }); });
        }));
      }
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  var pollChoices = {};  // item id -> {mode, rule} chosen in its not yet submitted poll form
  var againOpen = {};  // item id -> its folded "vote again" controls are open

  function renderAgenda() {
    var ol = $("agenda");
    ol.replaceChildren();
    var sel = $("upload-item");
    while (sel.options.length > 1) { sel.remove(1); }
    state.items.forEach(function (it) {
      sel.appendChild(Y.el("option", { value: String(it.id) }, it.position + ". " + it.title));
      var li = Y.el("li", { "data-item": String(it.id) });
      li.appendChild(Y.el("strong", {}, it.title));
      li.appendChild(Y.el("span", { "class": "muted" }, " · " + L.items[it.kind]));
      var itemPolls = state.polls.filter(function (p) { return p.item === it.id; }), where = itemState(itemPolls);
      li.appendChild(Y.el("span", { "class": "item-state " + where, "data-state": where }, U.item_state[where]));
      itemPolls.forEach(function (p) {
        var row = Y.el("div", { "class": "poll poll-" + p.status, "data-poll": String(p.id) });
        row.appendChild(Y.el("span", {}, L.modes[p.mode] + " · " + L.rules[p.rule] + " · " + L.poll_status[p.status]));
        if (p.status === "draft") {
          var cd = Y.el("input", { type: "number", min: 10, max: 3600, placeholder: L.countdown, "class": "countdown-input" });
          cd.setAttribute("aria-label", L.countdown);
          row.appendChild(cd);
          row.appendChild(button(L.open, "primary open-poll", function () {
            act("POST", "/api/v1/polls/" + p.id + "/open", cd.value ? { countdown: parseInt(cd.value, 10) } : {});
          }));
        }
        if (p.status === "open") {
          row.appendChild(button(L.close, "primary close-poll", function () { closePoll(p); }));
        }
        var sheet = Sheets.decorate(row, p, act);  // ballot sheets: console-sheets.js
        if (p.status !== "closed" && !sheet) {
          row.appendChild(button(L.hands, "hands", function () { handsForm(row, p); }));
        }
        window.YishiPaper.pollControls(row, p, state, act, askReason);  // paper-console.js
        if (p.result) {
          row.appendChild(Y.el("p", { "class": "result-line " + (p.result.passed ? "passed" : "failed") },
            Y.line(p.result) + (p.result.method === "show_of_hands" ? Y.fmt(U.aside, { x: L.show_of_hands }) :
              p.result.method === "hand_count" ? Y.fmt(U.aside, { x: L.paper.hand_count }) : "")));
        }
        li.appendChild(row);
      });
      var form = document.getElementById("poll-form").content.firstElementChild.cloneNode(true);
      // A live event redraws the agenda: what the secretary has chosen here survives it, so the
      // vote made is the one chosen, not the default.
      var chosen = pollChoices[it.id];
      if (chosen) { form.mode.value = chosen.mode; form.rule.value = chosen.rule; }
      form.addEventListener("change", function () { pollChoices[it.id] = { mode: form.mode.value, rule: form.rule.value }; });
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        delete pollChoices[it.id];
        act("POST", "/api/v1/items/" + it.id + "/polls", { mode: form.mode.value, rule: form.rule.value });
      });
      var sheetForm = Sheets.form(it, act);
      if (where === "passed" || where === "failed" || where === "done") {  // voted: the controls for another vote folded away
        var again = Y.el("details", { "class": "vote-again" });
        again.open = !!againOpen[it.id];  // a live redraw keeps it open, as it keeps the forms' choices
        again.addEventListener("toggle", function () { againOpen[it.id] = again.open; });
        again.appendChild(Y.el("summary", {}, U.vote_again));
        again.appendChild(form);
        again.appendChild(sheetForm);
        li.appendChild(again);
      } else {
        li.appendChild(form);
        li.appendChild(sheetForm);
      }
      ol.appendChild(li);
    });
    var warnings = $("warnings");
    warnings.replaceChildren();
    state.warnings.forEach(function (w) { warnings.appendChild(Y.el("li", { "class": "error" }, L.warnings[w.code])); });
  }

  function handsForm(row, p) {
    var form = Y.el("form", { "class": "inline hands-form" });
    ["yes", "no", "abstain"].forEach(function (k) {
      var label = Y.el("label", {}, L.choices[k] + " ");
      label.appendChild(Y.el("input", { type: "number", name: k, min: 0, required: true, "class": "count" }));
      form.appendChild(label);
    });
    var reason = Y.el("input", { name: "reason", placeholder: L.reason_prompt, required: true, maxLength: 200 });
    reason.setAttribute("aria-label", L.reason_prompt);
    form.appendChild(reason);
    form.appendChild(Y.el("button", { "class": "primary" }, L.hands));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      act("POST", "/api/v1/polls/" + p.id + "/show-of-hands", {
        yes: parseInt(form.yes.value, 10), no: parseInt(form.no.value, 10), abstain: parseInt(form.abstain.value, 10), reason: form.reason.value
      });
    });
    row.appendChild(form);
  }

  function renderMaterials() {
    var ul = $("materials");
    ul.replaceChildren();
    state.materials.forEach(function (m) {
      var li = Y.el("li", { "data-material": String(m.id) });
      li.appendChild(Y.el("a", { href: "/documents/" + m.document, target: "_blank" }, m.title));
      li.appendChild(Y.el("span", { "class": "muted" }, " v" + m.version + (m.published ? " ✓" : "")));
      var file = Y.el("input", { type: "file", accept: "application/pdf,image/png,image/jpeg", "class": "replace-file" });
      file.addEventListener("change", function () {
        var fd = new FormData();
        fd.append("file", file.files[0]);
        act("POST", "/api/v1/materials/" + m.id + "/replace", fd, true);
      });
      var label = Y.el("label", { "class": "button replace" }, L.replace + " ");
      label.appendChild(file);
      li.appendChild(label);
      ul.appendChild(li);
    });
  }

  function renderFloor() {
    var q = $("speak-queue");
    q.replaceChildren();
    state.speak.forEach(function (s) {
      var li = Y.el("li", {}, s.name + (s.status === "speaking" ? " — " + L.speaking : ""));
      li.appendChild(button(s.status === "speaking" ? L.done : L.give_floor, "", function () {
        act("POST", "/api/v1/meetings/" + id + "/speak/" + s.id, { status: s.status === "speaking" ? "done" : "speaking" });
      }));
      q.appendChild(li);
    });
    var c = $("calls");
    c.replaceChildren();
    state.calls.forEach(function (call) {
      var li = Y.el("li", { "class": "call" }, (call.seat ? call.seat + " · " : "") + call.name + " — " + L.service[call.kind]);
      li.appendChild(button(L.handled, "", function () { act("POST", "/api/v1/meetings/" + id + "/service/" + call.id + "/handled"); }));
      c.appendChild(li);
    });
  }

  // The open vote at the top in large type, 结束表决 beside it.
  function renderProgress() {
    var open = state.polls.filter(function (p) { return p.status === "open"; })[0];
    $("progress").textContent = state.progress ? Y.fmt(L.cast_of, state.progress) : U.no_vote_open;
    $("live-poll").classList.toggle("active", !!open);
    $("live-poll-name").textContent = open ? open.title : "";
    $("progress-close").hidden = !open || !!open.paper;
    $("progress-close").onclick = open ? function () { closePoll(open); } : null;
    var ul = $("not-voted");
    ul.replaceChildren();
    state.not_voted.forEach(function (n) { ul.appendChild(Y.el("li", {}, n)); });
    $("not-voted-box").hidden = !open;
    $("not-voted-summary").textContent = Y.fmt(U.not_voted_n, { n: state.not_voted.length });
  }

  function render() {
    $("attendance").textContent = Y.attendanceText(state.attendance, state.meeting);
    $("attendance").className = "attendance " + (state.attendance.quorum_met ? "quorum" : "no-quorum");
    $("open-signin").hidden = state.meeting.status !== "planned";
    $("close-meeting").hidden = state.meeting.status === "closed";
    if (state.meeting.minutes_document) { $("minutes-link").hidden = false; $("minutes-link").href = "/documents/" + state.meeting.minutes_document; }
    renderRoster(); renderAgenda(); renderMaterials(); renderFloor(); renderProgress();
    (Y.consoleHooks || []).forEach(function (hook) { hook(state, act); });  // e.g. agenda-console.js
    window.YishiPaper.meeting(state, act);
  }

  var pending = null;
  function load() {
    if (pending) { return pending; }
    pending = Y.api("GET", "/api/v1/meetings/" + id + "/console").then(function (s) {
      if (state) { s.attendance = Y.newerAttendance(s.attendance, state.attendance); }
      state = s; render();
    })
      .finally(function () { pending = null; });
    return pending;
  }

  $("open-signin").addEventListener("click", function () { act("POST", "/api/v1/meetings/" + id + "/signin/open"); });
  $("publish").addEventListener("click", function () { act("POST", "/api/v1/meetings/" + id + "/materials/publish"); });
  $("close-meeting").addEventListener("click", function () {
    var b = $("close-meeting");
    confirmed(b.dataset.confirm, b.textContent, function () { act("POST", "/api/v1/meetings/" + id + "/close"); });
  });
  $("add-item").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var f = ev.target, body = { title: f.title.value, kind: f.kind.value };
    if (f.post.value) { body.post = f.post.value; }
    if (f.action.value) { body.action = f.action.value; }
    act("POST", "/api/v1/meetings/" + id + "/items", body).then(function () { f.reset(); });
  });
  $("upload").addEventListener("submit", function (ev) {
    ev.preventDefault();
    act("POST", "/api/v1/meetings/" + id + "/materials", new FormData(ev.target), true).then(function () { ev.target.reset(); });
  });

  Y.live({
    connected: load, attendance: load, "meeting.changed": load, materials: load, floor: load, "poll.opened": load, "poll.closed": load, "meeting.closed": load, agenda: load, screen: load, "paper.changed": load,
    "poll.progress": function (p) { if (state) { state.progress = p; } load(); }
  });
})();
