// Ballot sheets on the tablet (满意度测评, 任免, 选举) and their results on every screen.
// An election sheet refuses the (S+1)-th yes mark (write-ins included) with a visible message
// before anything is sent; the appliance refuses it again (400) if a ballot gets past this.
// Exposes window.YishiSheet; tablet.js and meeting-common.js call it for polls whose kind is not a motion.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, S = L.sheet || {};
  var poll = null, marks = {}, writeIns = [], choice = null, onChange = function () {};
  var box = null;

  function sheetKind(p) { return p && p.kind && p.kind !== "motion"; }
  function yesCount() {
    return Object.keys(marks).filter(function (k) { return marks[k] === "yes"; }).length + writeIns.length;
  }
  function say(text, isError) {
    var m = document.getElementById("sheet-message");
    m.textContent = text || "";
    m.className = "status" + (isError ? " error" : "");
  }
  function ensureBox() {
    if (box) { return box; }
    box = Y.el("div", { id: "sheet", "class": "sheet" });
    var anchor = document.getElementById("ballot-confirm") || document.getElementById("submit-ballot");  // above the confirm step
    anchor.parentNode.insertBefore(box, anchor);
    return box;
  }
  function ready() {
    if (!poll) { return false; }
    if (poll.kind === "assessment") { return !!choice; }
    if (poll.kind === "appointment") { return poll.lines.every(function (l) { return !!marks[String(l.id)]; }); }
    return true;  // an election ballot may be blank (all abstentions)
  }
  function changed() { draw(); onChange(ready()); }

  // A choice button: marked by a tick and its word (not colour alone), aria-pressed for screen readers.
  function choiceButton(attrs, word, selected) {
    var b = Y.el("button", attrs);
    b.appendChild(Y.el("span", { "class": "tick", "aria-hidden": "true" }, "✓"));
    b.appendChild(Y.el("span", { "class": "word" }, word));
    b.querySelector(".tick").setAttribute("aria-hidden", "true");
    b.setAttribute("aria-pressed", String(!!selected));
    return b;
  }

  function markButtons(key, current, voted, onPick, name) {
    var row = Y.el("div", { "class": "sheet-choices", role: "group" });
    row.setAttribute("aria-label", name);
    ["yes", "no", "abstain"].forEach(function (c) {
      var b = choiceButton({ type: "button", "class": "choice small " + c + (current === c ? " selected" : ""), "data-line": key, "data-mark": c },
        L.choices[c], current === c);
      b.disabled = voted;
      b.addEventListener("click", function () { onPick(c); });
      row.appendChild(b);
    });
    return row;
  }

  function draw() {
    var voted = !!poll.voted;
    box.replaceChildren();
    if (poll.kind === "assessment") {
      var grid = Y.el("div", { "class": "choices", role: "group" });
      grid.setAttribute("aria-labelledby", "ballot-title");
      poll.choices.forEach(function (c) {
        var b = choiceButton({ type: "button", "class": "choice assess " + c.value + (choice === c.value ? " selected" : ""), "data-assess": c.value },
          S.assessment[c.value], choice === c.value);
        b.disabled = voted;
        b.addEventListener("click", function () { choice = c.value; changed(); });
        grid.appendChild(b);
      });
      box.appendChild(grid);
    } else {
      if (poll.kind === "election") {
        box.appendChild(Y.el("p", { id: "sheet-cap", "class": "sheet-cap" }, Y.fmt(S.cap, { yes: yesCount(), seats: poll.seats })));
      }
      poll.lines.forEach(function (l) {
        var key = String(l.id);
        var what = poll.kind === "appointment" ? (l.action === "remove" ? S.remove : S.appoint) + " · " + (l.post || "") : "";
        var line = Y.el("div", { "class": "sheet-line", "data-line": key });
        line.appendChild(Y.el("span", { "class": "sheet-name" }, l.name + (what ? " — " + what : "")));
        line.appendChild(markButtons(key, marks[key], voted, function (c) {
          if (poll.kind === "election" && c === "yes" && marks[key] !== "yes" && yesCount() >= poll.seats) {
            say(Y.fmt(S.too_many, { seats: poll.seats }), true);
            return;
          }
          marks[key] = c;
          say("");
          changed();
        }, l.name));
        box.appendChild(line);
      });
      if (poll.kind === "election" && poll.roll) { drawWriteIns(voted); }
    }
    box.appendChild(Y.el("p", { id: "sheet-message", "class": "status", role: "alert" }));
  }

  function drawWriteIns(voted) {
    var wrap = Y.el("div", { "class": "sheet-writein" });
    wrap.appendChild(Y.el("h3", {}, S.write_in));
    writeIns.forEach(function (pid) {
      var person = poll.roll.filter(function (r) { return r.id === pid; })[0];
      var row = Y.el("div", { "class": "sheet-line writein", "data-person": String(pid) });
      row.appendChild(Y.el("span", { "class": "sheet-name" }, (person ? person.name : pid) + " — " + L.choices.yes));
      var rm = Y.el("button", { type: "button", "class": "button" }, S.remove_write_in);
      rm.disabled = voted;
      rm.addEventListener("click", function () { writeIns = writeIns.filter(function (w) { return w !== pid; }); say(""); changed(); });
      row.appendChild(rm);
      wrap.appendChild(row);
    });
    var sel = Y.el("select", { id: "writein-person", "aria-label": S.write_in });
    sel.appendChild(Y.el("option", { value: "" }, S.choose_person));
    poll.roll.forEach(function (r) {
      if (writeIns.indexOf(r.id) < 0) { sel.appendChild(Y.el("option", { value: String(r.id) }, r.name)); }
    });
    sel.disabled = voted;
    var add = Y.el("button", { type: "button", id: "writein-add", "class": "button" }, S.add_write_in);
    add.disabled = voted;
    add.addEventListener("click", function () {
      var pid = parseInt(sel.value, 10);
      if (!pid) { return; }
      if (yesCount() >= poll.seats) { say(Y.fmt(S.too_many, { seats: poll.seats }), true); return; }
      writeIns.push(pid);
      say("");
      changed();
    });
    wrap.appendChild(sel);
    wrap.appendChild(add);
    box.appendChild(wrap);
  }

  function show(p, cb) {
    var motionChoices = document.querySelector("#ballot > .choices");
    if (!sheetKind(p)) {
      if (box) { box.hidden = true; }
      if (motionChoices) { motionChoices.hidden = false; }
      poll = null;
      return false;
    }
    if (!poll || poll.id !== p.id) { marks = {}; writeIns = []; choice = null; }
    poll = p;
    onChange = cb || onChange;
    if (motionChoices) { motionChoices.hidden = true; }
    ensureBox().hidden = false;
    draw();
    onChange(ready());
    return true;
  }

  function body() {
    if (poll.kind === "assessment") { return { choice: choice }; }
    var out = { marks: {} };
    poll.lines.forEach(function (l) { var k = String(l.id); if (marks[k]) { out.marks[k] = marks[k]; } });
    if (poll.kind === "election") { out.write_ins = writeIns.slice(); }
    return out;
  }

  // A published ballot (canonical JSON) in words, for the list of trackers.
  function describe(text) {
    var b;
    try { b = JSON.parse(text); } catch (e) { return text; }
    if (b.choice) { return S.assessment[b.choice] || b.choice; }
    var parts = Object.keys(b.marks || {}).sort().map(function (k) { return "#" + k + " " + L.choices[b.marks[k]]; });
    (b.write_ins || []).forEach(function (w) { parts.push(S.write_in + " #" + w); });
    return parts.join(", ");
  }

  // Result bars of a sheet poll: an assessment's counts with shares of N; an election's yes per person.
  function bars(target, r) {
    target.replaceChildren();
    var o = r.outcome || {}, rows = [];
    if (r.kind === "assessment") {
      rows = ["satisfied", "basically", "unsatisfied", "void", "not_voted"].map(function (k) {
        return [k, (S.assessment[k] || S.counts[k]) + " " + o.shares[k], o[k], o.n];
      });
    } else if (r.kind === "election") {
      rows = o.tallies.map(function (t) { return ["yes", t.name + (t.written_in ? " *" : ""), t.yes, Math.max(1, o.base)]; });
    } else {
      rows = o.nominees.map(function (n) { return ["yes", n.name, n.yes, r.membership]; });
    }
    rows.forEach(function (row) {
      var line = Y.el("div", { "class": "bar-row sheet-bar " + row[0] });
      line.appendChild(Y.el("span", { "class": "bar-label" }, row[1]));
      var track = Y.el("span", { "class": "bar-track" }), fill = Y.el("span", { "class": "bar-fill" });
      track.appendChild(fill);
      line.appendChild(track);
      line.appendChild(Y.el("span", { "class": "bar-value" }, String(row[2])));
      target.appendChild(line);
      fill.style.width = Math.round(100 * row[2] / Math.max(1, row[3])) + "%";
    });
  }

  function reset() { poll = null; marks = {}; writeIns = []; choice = null; }

  window.YishiSheet = { show: show, ready: ready, body: body, active: function () { return !!poll; }, describe: describe, bars: bars,
                        reset: reset, isSheet: sheetKind, confirm: function () { return S.confirm; } };
})();
