// The member's tablet: 签到, materials, and the ballot that appears by itself when a vote opens.
// A ballot carries a random ballot id (so a retry never counts twice) and a random tracker code
// that only this tablet knows; both are kept in localStorage until the poll closes.
// The same script puts the ballot over the reader (documents/view.html): there the page has only
// the ballot's markup (no attendance, materials or results), and the sheet hides once dismissed.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, U = L.ux, id = Y.root.dataset.id, Sheet = window.YishiSheet;
  var state = null, choice = null, openPoll = null;
  var $ = function (sel) { return document.getElementById(sel); };
  var meetingPage = !!$("materials");  // else the ballot over the reader

  function random(chars, n) {
    var out = "", bytes = new Uint8Array(n);
    crypto.getRandomValues(bytes);
    for (var i = 0; i < n; i++) { out += chars[bytes[i] % chars.length]; }
    return out;
  }
  function ballotFor(pollId) {
    var key = "yishi-ballot-" + pollId;
    var saved = JSON.parse(localStorage.getItem(key) || "null");
    if (!saved) {
      saved = { ballot_id: random("0123456789abcdef", 32), tracker: random("23456789ABCDEFGHJKLMNPQRSTUVWXYZ", 8) };
      localStorage.setItem(key, JSON.stringify(saved));
    }
    return saved;
  }

  // The ballot is a sheet over the whole page while a poll is open and this member has not voted;
  // once voted (or dismissed) it stays as a card at the top of the page showing the vote is in.
  // Its step: "choose", "confirm", "sending", "done" or "expired" (data-step on #ballot).
  var dismissed = {}, expired = {};
  function saved(pollId) { return JSON.parse(localStorage.getItem("yishi-ballot-" + pollId) || "null"); }
  function chosenWords() {
    if (Sheet.active()) { var d = Sheet.describe(JSON.stringify(Sheet.body())); return d || U.blank_sheet; }
    return choice ? L.choices[choice] : "";
  }
  function step(name) {
    var ballot = $("ballot");
    ballot.dataset.step = name;
    var choosing = name === "choose", confirming = name === "confirm" || name === "sending";
    var motion = !Sheet.active();
    ballot.querySelector(".choices").hidden = !motion || !(choosing || name === "expired");
    var sheet = $("sheet");
    if (sheet) { sheet.hidden = motion || !(choosing || name === "expired"); }
    $("ballot-confirm").hidden = !confirming;
    $("ballot-done").hidden = name !== "done";
    $("ballot-expired").hidden = name !== "expired";
    $("submit-ballot").hidden = !choosing;
    $("confirm-back").hidden = !confirming;
    $("confirm-ballot").hidden = !confirming;
    $("confirm-ballot").disabled = name === "sending";
    $("confirm-back").disabled = name === "sending";
    $("confirm-ballot").textContent = name === "sending" ? U.sending : U.confirm_submit;
    $("confirm-back").textContent = U.change;
    $("ballot-dismiss").textContent = meetingPage ? U.back : U.back_to_document;
    $("ballot-dismiss").hidden = !(name === "done" || name === "expired") || !ballot.classList.contains("sheet-open");
    document.querySelectorAll("#ballot .choice, #sheet button, #sheet select").forEach(function (b) { b.disabled = name !== "choose"; });
    if (choosing) { $("submit-ballot").disabled = !(Sheet.active() ? Sheet.ready() : choice); }
    if (confirming) { $("confirm-text").textContent = Y.fmt(Sheet.active() ? U.confirm_sheet : U.confirm_q, { choice: chosenWords() }); }
    if (name === "done") {
      var b = saved(openPoll.id);
      $("done-title").textContent = U.done_title;
      $("done-choice").textContent = b && b.cast ? Y.fmt(U.your_choice, { choice: b.cast }) : "";
      $("done-tracker").textContent = b && openPoll.mode === "secret" ? Y.fmt(U.tracker_is, { code: b.tracker }) : "";
      $("ballot-status").textContent = L.submitted;
    }
    if (name === "expired") { $("ballot-expired").textContent = U.expired; $("ballot-status").textContent = ""; }
    ballot.classList.toggle("done", name === "done");
  }
  function sheetOpen(node, on) {
    var was = node.classList.contains("sheet-open");
    node.classList.toggle("sheet-open", on);
    document.documentElement.classList.toggle("ballot-up", !!document.querySelector(".ballot.sheet-open"));
    if (on) { node.setAttribute("role", "dialog"); node.setAttribute("aria-modal", "true"); } else { node.removeAttribute("role"); node.removeAttribute("aria-modal"); }
    if (on && !was) { var h = node.querySelector("h2"); h.tabIndex = -1; h.focus(); window.scrollTo(0, 0); }
  }

  function render() {
    var me = state.me || {};
    var canSign = state.meeting.signin_open && me.status !== "present" && state.meeting.status === "open";
    if (meetingPage) { renderPage(me, canSign); }
    renderBallot(me, canSign);
  }

  function renderPage(me, canSign) {
    $("attendance").textContent = Y.attendanceText(state.attendance, state.meeting);
    $("signin-meeting").hidden = !canSign;
    $("signin-state").hidden = me.status !== "present";
    $("signin-state").textContent = L.signed_in;
    var list = $("materials");
    list.replaceChildren();
    if (!state.materials.length) { list.appendChild(Y.el("li", { "class": "muted" }, state.meeting.status === "closed" ? L.recalled : L.no_materials)); }
    state.materials.forEach(function (m) {
      var li = Y.el("li", { "data-document": String(m.document) });
      li.appendChild(Y.el("a", { href: "/documents/" + m.document, "class": "material" }, m.title));
      if (m.updated) { li.appendChild(Y.el("span", { "class": "badge updated" }, L.updated)); }
      if (m.classified) { li.appendChild(Y.el("span", { "class": "badge secret" }, L.classified)); }
      list.appendChild(li);
    });
  }

  function renderBallot(me, canSign) {
    var previous = openPoll;
    openPoll = state.polls.filter(function (p) { return p.status === "open"; })[0] || null;
    if (previous && openPoll && previous.id === openPoll.id && previous.voted && !openPoll.voted) { openPoll.voted = true; }
    var ballot = $("ballot"), signin = $("ballot-signin");
    if (meetingPage) { $("paper-notice").hidden = !(openPoll && openPoll.paper); }
    signin.hidden = true;
    sheetOpen(signin, false);
    if (openPoll && openPoll.paper) {  // counted by hand: the paper ballot, and the scrutineers' page for them
      ballot.hidden = true;
      sheetOpen(ballot, false);
      if (meetingPage) Y.api("GET", "/api/v1/polls/" + openPoll.id + "/paper").then(function (s) {
        $("paper-tally").hidden = !s.i_am_scrutineer;
        $("paper-tally").href = "/polls/" + s.poll + "/tally";
      }).catch(function () {});
    } else if (openPoll && me.capacity === "member" && me.status === "present") {
      ballot.hidden = false;
      ballot.dataset.poll = String(openPoll.id);
      $("ballot-title").textContent = openPoll.title;
      $("ballot-rule").textContent = L.modes[openPoll.mode] + " · " + L.rules[openPoll.rule];
      Y.countdown($("ballot-countdown"), openPoll, "ballot");
      Sheet.show(openPoll, function (ok) { if (ballot.dataset.step === "choose") { $("submit-ballot").disabled = !ok; } });  // ballot sheets: sheet-ballot.js
      var current = ballot.dataset.step;
      var next = openPoll.voted ? "done" : expired[openPoll.id] ? "expired" :
        (current === "confirm" || current === "sending") && ballot.dataset.shown === String(openPoll.id) ? current : "choose";
      ballot.dataset.shown = String(openPoll.id);  // over the page (after a reload too: "you have voted") until dismissed
      sheetOpen(ballot, !dismissed[openPoll.id]);
      step(next);
    } else {
      ballot.hidden = true;
      sheetOpen(ballot, false);
      if (openPoll && me.capacity === "member" && state.meeting.status === "open") {  // a vote is on and this member is not signed in
        signin.hidden = false;
        $("ballot-signin-title").textContent = U.sign_in_first;
        $("ballot-signin-poll").textContent = openPoll.title;
        $("ballot-signin-button").hidden = !canSign;
        $("ballot-signin-help").textContent = canSign ? "" : U.ask_staff;
        sheetOpen(signin, true);
      }
    }
    var closed = state.polls.filter(function (p) { return p.status === "closed"; });
    if (meetingPage && !openPoll && closed.length) { showResult(closed[closed.length - 1].result); }
  }

  function setVoted(voted) {
    if (Sheet.active()) { Sheet.show(openPoll); }  // redrawn with its marks locked once voted
    step(voted ? "done" : "choose");
  }

  // The moment the countdown reaches 0:00 the sheet turns inactive (the appliance refuses a late ballot anyway).
  new MutationObserver(function () {
    var node = $("ballot-countdown");
    if (!openPoll || openPoll.voted || node.hidden || node.textContent.trim() !== "0:00") { return; }
    if (openPoll.closes_in === null || openPoll.closes_in === undefined) { return; }  // no countdown (never the tablet's own clock)
    expired[openPoll.id] = true;
    step("expired");
  }).observe($("ballot-countdown"), { childList: true, characterData: true, subtree: true });

  function showResult(r) {
    if (!r) { return; }
    $("result").hidden = false;
    $("result").dataset.poll = String(r.poll);
    $("result-title").textContent = r.title + (r.method === "show_of_hands" ? Y.fmt(L.ux.aside, { x: L.show_of_hands }) :
      r.method === "hand_count" ? Y.fmt(L.ux.aside, { x: L.paper.hand_count }) : "");
    $("result-line").textContent = Y.line(r);
    $("result-line").className = "result-line " + (r.passed ? "passed" : "failed");
    Y.bars($("result-bars"), r);
    var saved = JSON.parse(localStorage.getItem("yishi-ballot-" + r.poll) || "null");
    if (r.mode === "secret" && r.method === "electronic") {
      Y.api("GET", "/api/v1/polls/" + r.poll + "/trackers").then(function (data) {
        var ol = $("tracker-list"), found = false;
        ol.replaceChildren();
        data.ballots.forEach(function (b) {
          var mine = saved && b.tracker === saved.tracker;
          found = found || mine;
          ol.appendChild(Y.el("li", { "class": mine ? "mine" : "" }, b.tracker + " — " + (L.choices[b.choice] || Sheet.describe(b.choice))));
        });
        $("trackers").hidden = false;
        if (saved) {
          $("tracker-verdict").textContent = found ? L.your_ballot_found : L.your_ballot_missing;
          $("tracker-verdict").className = found ? "ok" : "error";
          if (found) { $("trackers").open = true; }
        }
      }).catch(function () {});
    } else {
      $("trackers").hidden = true;
    }
  }

  function load() {
    return Y.api("GET", "/api/v1/meetings/" + id).then(function (s) {
      if (state) { s.attendance = Y.newerAttendance(s.attendance, state.attendance); }
      state = s; render();
    });
  }

  document.querySelectorAll("#ballot > .choices .choice").forEach(function (b) {
    b.addEventListener("click", function () {
      choice = b.dataset.choice;
      document.querySelectorAll("#ballot > .choices .choice").forEach(function (o) { o.classList.toggle("selected", o === b); o.setAttribute("aria-pressed", String(o === b)); });
      $("submit-ballot").disabled = false;
      $("ballot-status").textContent = "";
    });
  });
  $("submit-ballot").addEventListener("click", function () {
    if (!openPoll || !(Sheet.active() ? Sheet.ready() : choice)) { return; }
    $("ballot-status").textContent = "";
    step("confirm");
    $("confirm-ballot").focus();
  });
  $("confirm-back").addEventListener("click", function () { $("ballot-status").textContent = ""; step("choose"); });
  $("ballot-dismiss").addEventListener("click", function () {
    if (openPoll) { dismissed[openPoll.id] = true; }
    sheetOpen($("ballot"), false);
    step($("ballot").dataset.step);
  });
  $("ballot-signin-button").addEventListener("click", function () {
    Y.api("POST", "/api/v1/meetings/" + id + "/signin").then(load).catch(function (e) { $("ballot-signin-help").textContent = e.message; });
  });
  $("confirm-ballot").addEventListener("click", function () {
    var sheet = Sheet.active();
    if (!openPoll || !(sheet ? Sheet.ready() : choice)) { return; }
    var b = ballotFor(openPoll.id), poll = openPoll;
    var cast = chosenWords();
    step("sending");
    var body = sheet ? Sheet.body() : { choice: choice };
    body.ballot_id = b.ballot_id;
    body.tracker = b.tracker;
    function done(first) {  // this tablet alone keeps what it cast (never asked of the server for a secret poll)
      var kept = saved(poll.id) || b;
      if (!kept.cast && !first) { kept.cast = cast; localStorage.setItem("yishi-ballot-" + poll.id, JSON.stringify(kept)); }
      poll.voted = true;
      if (openPoll === poll) { setVoted(true); }
    }
    Y.api("POST", "/api/v1/polls/" + poll.id + "/ballots", body)
      .then(function () { done(false); })
      .catch(function (e) {
        if (e.code === "already_voted" || e.code === "ballot_stands") { done(true); $("ballot-status").textContent = e.message; return; }
        if (e.code === "tracker_taken") {  // nothing was counted: same ballot id, a new check code
          b.tracker = random("23456789ABCDEFGHJKLMNPQRSTUVWXYZ", 8);
          localStorage.setItem("yishi-ballot-" + poll.id, JSON.stringify(b));
        }
        // Nothing was counted and the same ballot id goes again: no answer at all, a failure on
        // the appliance (5xx: a full disk, a restarting worker), throttling, or the two above.
        var retry = !e.status || e.status >= 500 || e.status === 429 || e.code === "bad_field" || e.code === "tracker_taken";
        if (e.code === "time_over" || e.code === "poll_not_open") { expired[poll.id] = true; step("expired"); }
        else { step(retry ? "choose" : "confirm"); $("confirm-ballot").disabled = !retry; }
        $("ballot-status").textContent = e.status ? e.message : L.network;
      });
  });
  if (meetingPage) $("signin-meeting").addEventListener("click", function () {
    Y.api("POST", "/api/v1/meetings/" + id + "/signin").then(load).catch(function (e) { $("signin-state").hidden = false; $("signin-state").textContent = e.message; });
  });
  if (meetingPage) $("speak").addEventListener("click", function () {
    Y.api("POST", "/api/v1/meetings/" + id + "/speak").then(function () { $("floor-status").textContent = "✓"; })
      .catch(function (e) { $("floor-status").textContent = e.message; });
  });
  document.querySelectorAll(".service").forEach(function (b) {
    b.addEventListener("click", function () {
      Y.api("POST", "/api/v1/meetings/" + id + "/service", { kind: b.dataset.kind }).then(function () { $("floor-status").textContent = "✓ " + b.textContent; })
        .catch(function (e) { $("floor-status").textContent = e.message; });
    });
  });

  Y.live({
    connected: load,
    attendance: function (a) { if (state && meetingPage && Y.fresher(a, state.attendance)) { state.attendance = a; $("attendance").textContent = Y.attendanceText(a, state.meeting); } },
    "poll.opened": function () {
      choice = null; Sheet.reset();
      document.querySelectorAll("#ballot > .choices .choice").forEach(function (o) { o.classList.remove("selected"); o.setAttribute("aria-pressed", "false"); });
      if (meetingPage) { $("result").hidden = true; }
      load();
    },
    "poll.closed": function (r) { $("ballot").hidden = true; sheetOpen($("ballot"), false); if (meetingPage) { showResult(r); } load(); },
    "meeting.changed": load,
    agenda: load,
    "paper.changed": load,
    materials: load,
    recalled: load,
    "meeting.closed": load
  });
})();
