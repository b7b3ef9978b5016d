// The big screen (1920x1080 projector): current item, attendance and quorum, how many have
// voted (never what), the result with bars, and the countdown.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, U = L.ux, id = Y.root.dataset.id;
  var $ = function (sel) { return document.getElementById(sel); };
  var state = null;

  function render() {
    $("attendance").textContent = Y.attendanceText(state.attendance, state.meeting);
    var over = state.meeting.status === "closed";  // the meeting closed: said so, in place of the last vote
    $("closed").hidden = !over;
    $("closed-title").textContent = U.closed;
    $("closed-note").textContent = U.closed_note;
    document.body.classList.toggle("meeting-closed", over);
    $("attendance").className = "screen-attendance " + (state.attendance.quorum_met ? "quorum" : "no-quorum");
    var item = state.items.filter(function (i) { return i.id === state.meeting.current_item; })[0];
    $("current-item").textContent = item ? item.position + ". " + item.title : " ";
    var open = state.polls.filter(function (p) { return p.status === "open"; })[0];
    $("poll-progress").hidden = !open;
    if (open) {
      $("poll-title").textContent = open.title + " · " + L.modes[open.mode] + (open.paper ? " · " + L.paper.hand_count : "");
      paper = open.paper;
      if (paper) { $("poll-count").textContent = L.paper.counting; }
      Y.countdown($("screen-countdown"), open, "screen");
      $("result").hidden = true;
    }
    if (state.progress && !paper) { showProgress(state.progress); }
    var closed = state.polls.filter(function (p) { return p.status === "closed"; })
      .sort(function (a, b) { return a.closed_at - b.closed_at; });  // the latest held, whatever the agenda order
    if (!open && closed.length && !over) { showResult(closed[closed.length - 1].result); }
    if (over) { $("result").hidden = true; $("poll-progress").hidden = true; }
  }
  var paper = false;  // a vote on paper shows no electronic progress
  function showProgress(p) { if (!paper) { $("poll-count").textContent = Y.fmt(L.cast_of, p); } }
  function showResult(r) {
    $("poll-progress").hidden = true;
    $("result").hidden = false;
    $("result").dataset.poll = String(r.poll);
    $("result-title").textContent = r.title + (r.method === "show_of_hands" ? Y.fmt(L.ux.aside, { x: L.show_of_hands }) :
      r.method === "hand_count" ? Y.fmt(L.ux.aside, { x: L.paper.hand_count }) : "");
    $("result-line").textContent = Y.line(r);
    $("result-line").className = "result-line big " + (r.passed ? "passed" : "failed");
    var verdict = r.passed === true ? L.passed : r.passed === false ? L.failed : "";  // the largest thing on the screen
    $("verdict").textContent = verdict;
    $("verdict").hidden = !verdict;
    $("verdict").className = "verdict " + (r.passed ? "passed" : "failed");
    $("result-rule").textContent = r.rule && L.rules[r.rule] ? (r.needed ? Y.fmt(U.needed, { rule: L.rules[r.rule], needed: r.needed }) : L.rules[r.rule]) : "";
    Y.bars($("result-bars"), r);
  }
  function load() {
    return Y.api("GET", "/api/v1/meetings/" + id + "/screen").then(function (s) {
      if (state) { s.attendance = Y.newerAttendance(s.attendance, state.attendance); }
      state = s; render();
    });
  }
  function clock() { $("clock").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false, hour: "2-digit", minute: "2-digit" }); }
  setInterval(clock, 1000); clock();
  Y.live({
    connected: load,
    attendance: function (a) { if (state && Y.fresher(a, state.attendance)) { state.attendance = a; render(); } },
    "poll.opened": load,
    "paper.changed": load,
    "poll.progress": showProgress,
    // The screen's state hides a confidential item's title until the chair reveals it; the
    // event itself (sent to staff) is not shown.
    "poll.closed": load, agenda: load, screen: load, "meeting.closed": load, "meeting.changed": load
  });
})();
