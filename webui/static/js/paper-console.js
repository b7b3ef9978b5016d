// The console's paper fallback (纸质表决): per vote, switch to paper with a reason, print the
// ballot sheets, open the scrutineers' entry page, and watch both entries live; for the meeting,
// designate the scrutineers and print the roll-call sheet. console.js calls pollControls() for
// every vote it draws and meeting() once per redraw.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, P = L.paper, id = Y.root.dataset.id;

  function button(text, cls, onClick) {
    var b = Y.el("button", { type: "button", "class": cls || "" }, text);
    b.addEventListener("click", onClick);
    return b;
  }

  function printSheets(p, act, present) {
    return function () {
      var form = Y.el("form", { "class": "inline print-form" });
      var n = Y.el("input", { type: "number", name: "count", min: 1, max: 500, value: String(present || ""), "class": "count", title: P.sheet_count });
      form.appendChild(n);
      form.appendChild(Y.el("button", { "class": "primary" }, P.print_sheets));
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        act("POST", "/api/v1/polls/" + p.id + "/sheets", n.value ? { count: parseInt(n.value, 10) } : {})
          .then(function (r) { window.open(r.url, "_blank"); });
      });
      this.replaceWith(form);
    };
  }

  function panel(row, p) {
    var box = Y.el("div", { "class": "paper-panel", "data-paper": String(p.id) });
    row.appendChild(box);
    Y.api("GET", "/api/v1/polls/" + p.id + "/paper").then(function (s) {
      box.appendChild(Y.el("p", { "class": "paper-reason" }, P.hand_count + " · " + s.reason + " · " + Y.fmt(P.round, { n: s.round }) +
        " · " + Y.fmt(P.sheets_issued, { n: s.sheets })));
      box.appendChild(Y.el("p", { "class": "paper-scrutineers" }, P.scrutineers + "：" +
        (s.scrutineers.map(function (x) { return x.name; }).join("、") || P.none_yet)));
      var state;
      if (s.mismatch.length && !s.entries.length) {
        state = Y.el("p", { "class": "paper-state error mismatch" }, Y.fmt(P.mismatch, { counts: s.mismatch_labels.join("、") }));
      } else {
        state = Y.el("p", { "class": "paper-state" }, s.entries.length ? P.waiting_second : P.waiting_first);
      }
      box.appendChild(state);
      var ul = Y.el("ul", { "class": "names paper-entries" });
      s.entries.forEach(function (e) { ul.appendChild(Y.el("li", {}, Y.fmt(P.entered_by, { name: e.name }))); });
      box.appendChild(ul);
    }).catch(function (e) { box.textContent = e.message; });
  }

  function pollControls(row, p, state, act, askReason) {
    if (p.status === "closed") { return; }
    if (!p.paper) {
      var holder = Y.el("span", {});
      holder.appendChild(button(P.to_paper, "danger to-paper", function () {
        askReason(holder, P.to_paper, function (reason) { act("POST", "/api/v1/polls/" + p.id + "/to-paper", { reason: reason }); });
      }));
      row.appendChild(holder);
    }
    row.appendChild(button(P.print_sheets, "print-sheets", printSheets(p, act, state.attendance.present)));
    if (p.paper) {
      row.appendChild(Y.el("a", { "class": "button enter-count", href: "/polls/" + p.id + "/tally", target: "_blank" }, P.enter_count));
      panel(row, p);
    }
  }

  function meeting(state, act) {
    var box = document.getElementById("paper-meeting");
    if (!box) { return; }
    Y.api("GET", "/api/v1/meetings/" + id + "/scrutineers").then(function (s) {
      // Redrawn only when something changed: a redraw would close the form the secretary is ticking.
      var key = JSON.stringify([s.meeting, state.roster.map(function (r) { return r.id; })]);
      if (box.dataset.key === key) { return; }
      box.dataset.key = key;
      box.replaceChildren();
      box.appendChild(Y.el("p", { "id": "scrutineer-names" }, P.scrutineers + "：" + (s.meeting.map(function (x) { return x.name; }).join("、") || P.none_yet)));
      var chosen = {};
      s.meeting.forEach(function (x) { chosen[x.id] = true; });
      var details = Y.el("details", { "id": "designate" });
      details.appendChild(Y.el("summary", {}, P.designate));
      var form = Y.el("form", { "class": "designate-form" });
      state.roster.forEach(function (r) {
        var label = Y.el("label", { "class": "check" });
        label.appendChild(Y.el("input", { type: "checkbox", name: "person", value: String(r.id), checked: !!chosen[r.id] }));
        label.appendChild(document.createTextNode(" " + r.name));
        form.appendChild(label);
      });
      form.appendChild(Y.el("button", { "class": "primary" }, P.designate));
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var ids = Array.prototype.map.call(form.querySelectorAll("input[name=person]:checked"), function (i) { return parseInt(i.value, 10); });
        act("POST", "/api/v1/meetings/" + id + "/scrutineers/designate", { people: ids });
      });
      details.appendChild(form);
      box.appendChild(details);
      box.appendChild(Y.el("a", { "class": "button roll-call", href: "/api/v1/meetings/" + id + "/roll-call.pdf", target: "_blank" }, P.roll_call));
    }).catch(function (e) { box.textContent = e.message; });
  }

  window.YishiPaper = { pollControls: pollControls, meeting: meeting };
})();
