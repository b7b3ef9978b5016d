// The console's part for ballot sheets (满意度测评, 任免, 选举): a form to add one to an item, the
// lines of each sheet poll, and after an election round closes the next round the rules call for
// (a new round among the tied, or a further round: 另行选举), created in one click.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, S = L.sheet || {};

  var drafts = {};  // per item: what the secretary has typed, kept across the console's redraws

  function isSheet(p) { return p.kind && p.kind !== "motion"; }

  // One line per nominee or candidate: "name" or, for an appointment, "name / post / remove".
  function parseLines(text, kind) {
    return text.split("\n").map(function (t) { return t.trim(); }).filter(Boolean).map(function (t) {
      var parts = t.split("/").map(function (x) { return x.trim(); });
      var line = { name: parts[0] };
      if (kind === "appointment" && parts[1]) { line.post = parts[1]; }
      if (kind === "appointment" && parts[2]) { line.action = parts[2] === "remove" || parts[2] === "免" ? "remove" : "appoint"; }
      return line;
    });
  }

  function form(it, act) {
    var f = Y.el("form", { "class": "grid new-sheet", "data-item": String(it.id) });
    var kind = Y.el("select", { name: "kind" });
    ["assessment", "appointment", "election"].forEach(function (k) { kind.appendChild(Y.el("option", { value: k }, S.kinds[k])); });
    var seats = Y.el("input", { type: "number", name: "seats", min: 1, value: "1", "class": "count" });
    var lines = Y.el("textarea", { name: "lines", rows: 3, placeholder: S.lines_hint });
    var by = Y.el("input", { type: "checkbox", name: "by_election" });
    var l1 = Y.el("label", {}, S.kind + " "); l1.appendChild(kind);
    var l2 = Y.el("label", { "class": "seats" }, S.seats + " "); l2.appendChild(seats);
    var l3 = Y.el("label", { "class": "lines" }, S.lines + " "); l3.appendChild(lines);
    var l4 = Y.el("label", { "class": "check by-election" }); l4.appendChild(by); l4.appendChild(document.createTextNode(" " + S.by_election));
    [l1, l2, l3, l4].forEach(function (x) { f.appendChild(x); });
    f.appendChild(Y.el("button", { "class": "primary" }, S.add_sheet));
    function sync() {
      l2.hidden = l4.hidden = kind.value !== "election";
      l3.hidden = kind.value === "assessment";
    }
    var draft = drafts[it.id] || {};
    if (draft.kind) { kind.value = draft.kind; seats.value = draft.seats; lines.value = draft.lines; by.checked = draft.by; }
    function keep() { drafts[it.id] = { kind: kind.value, seats: seats.value, lines: lines.value, by: by.checked, open: d.open }; }
    kind.addEventListener("change", function () { sync(); keep(); });
    [seats, lines, by].forEach(function (x) { x.addEventListener("input", keep); x.addEventListener("change", keep); });
    sync();
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { kind: kind.value };
      if (kind.value !== "assessment") { body.lines = parseLines(lines.value, kind.value); }
      if (kind.value === "election") { body.seats = parseInt(seats.value, 10); body.by_election = by.checked; }
      act("POST", "/api/v1/items/" + it.id + "/polls", body).then(function () { delete drafts[it.id]; }).catch(function () {});
    });
    var d = Y.el("details", { "class": "sheet-form" });
    d.open = !!draft.open;
    d.addEventListener("toggle", keep);
    d.appendChild(Y.el("summary", {}, S.add_sheet));
    d.appendChild(f);
    return d;
  }

  // The poll row of a sheet: what it is, who is on it, and the next round when one is due.
  function decorate(row, p, act) {
    if (!isSheet(p)) { return false; }
    var what = S.kinds[p.kind] + (p.kind === "election" ? " · " + Y.fmt(S.round_of, { round: p.round, seats: p.seats }) : "");
    row.firstChild.textContent = what + " · " + L.poll_status[p.status];
    if (p.lines) {
      row.appendChild(Y.el("span", { "class": "muted sheet-names" }, " — " + p.lines.map(function (l) { return l.name; }).join("、")));
    }
    var offer = p.next_round;
    if (offer) {
      var label = S.next_round[offer.kind] + " (" + offer.people.map(function (x) { return x.name; }).join("、") + ")";
      var b = Y.el("button", { type: "button", "class": "primary next-round", "data-poll": String(p.id) }, label);
      b.addEventListener("click", function () { act("POST", "/api/v1/polls/" + p.id + "/next-round", {}); });
      row.appendChild(b);
    }
    return true;
  }

  window.YishiConsoleSheets = { form: form, decorate: decorate, isSheet: isSheet };
})();
