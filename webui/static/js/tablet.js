// The member's tablet: 签到, materials, and the ballot that appears by itself when a vote opens.
// A ballot carries a random ballot id (so a retry never counts twice) and a random tracker code
// that only this tablet knows; both are kept in localStorage until the poll closes.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, id = Y.root.dataset.id, Sheet = window.YishiSheet;
  var state = null, choice = null, openPoll = null;
  var $ = function (sel) { return document.getElementById(sel); };

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

  function render() {
    $("attendance").textContent = Y.attendanceText(state.attendance);
    var me = state.me || {};
    var canSign = state.meeting.signin_open && me.status !== "present" && state.meeting.status === "open";
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
    openPoll = state.polls.filter(function (p) { return p.status === "open"; })[0] || null;
    var ballot = $("ballot");
    $("paper-notice").hidden = !(openPoll && openPoll.paper);
    if (openPoll && openPoll.paper) {  // counted by hand: the paper ballot, and the scrutineers' page for them
      ballot.hidden = true;
      Y.api("GET", "/api/v1/polls/" + openPoll.id + "/paper").then(function (s) {
        $("paper-tally").hidden = !s.i_am_scrutineer;
        $("paper-tally").href = "/polls/" + s.poll + "/tally";
      }).catch(function () {});
    } else if (openPoll && me.capacity === "member" && me.status === "present") {
      ballot.hidden = false;
      ballot.dataset.poll = String(openPoll.id);
      $("ballot-title").textContent = openPoll.title;
      $("ballot-rule").textContent = L.modes[openPoll.mode] + " · " + L.rules[openPoll.rule];
      Y.countdown($("ballot-countdown"), openPoll, "ballot");
      Sheet.show(openPoll, function (ok) { $("submit-ballot").disabled = !!openPoll.voted || !ok; });  // ballot sheets: sheet-ballot.js
      setVoted(openPoll.voted);
    } else {
      ballot.hidden = true;
    }
    var closed = state.polls.filter(function (p) { return p.status === "closed"; });
    if (!openPoll && closed.length) { showResult(closed[closed.length - 1].result); }
  }

  function setVoted(voted) {
    if (Sheet.active()) { Sheet.show(openPoll); }  // redrawn with its marks locked once voted
    document.querySelectorAll(".choice").forEach(function (b) { b.disabled = voted; });
    $("submit-ballot").disabled = voted || !(Sheet.active() ? Sheet.ready() : choice);
    $("ballot").classList.toggle("done", voted);
    if (voted) {
      var b = JSON.parse(localStorage.getItem("yishi-ballot-" + openPoll.id) || "null");
      $("ballot-status").textContent = L.submitted + (b && openPoll.mode === "secret" ? " " + L.your_tracker + ": " + b.tracker : "");
    } else {
      $("ballot-status").textContent = Sheet.active() ? Sheet.confirm() : L.confirm_first;
    }
  }

  function showResult(r) {
    if (!r) { return; }
    $("result").hidden = false;
    $("result").dataset.poll = String(r.poll);
    $("result-title").textContent = r.title + (r.method === "show_of_hands" ? " (" + L.show_of_hands + ")" :
      r.method === "hand_count" ? " (" + L.paper.hand_count + ")" : "");
    $("result-line").textContent = r.line;
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

  function load() { return Y.api("GET", "/api/v1/meetings/" + id).then(function (s) { state = s; render(); }); }

  document.querySelectorAll(".choice").forEach(function (b) {
    b.addEventListener("click", function () {
      choice = b.dataset.choice;
      document.querySelectorAll(".choice").forEach(function (o) { o.classList.toggle("selected", o === b); o.setAttribute("aria-checked", String(o === b)); });
      $("submit-ballot").disabled = false;
    });
  });
  $("submit-ballot").addEventListener("click", function () {
    var sheet = Sheet.active();
    if (!openPoll || !(sheet ? Sheet.ready() : choice)) { return; }
    var b = ballotFor(openPoll.id);
    $("submit-ballot").disabled = true;
    var body = sheet ? Sheet.body() : { choice: choice };
    body.ballot_id = b.ballot_id;
    body.tracker = b.tracker;
    Y.api("POST", "/api/v1/polls/" + openPoll.id + "/ballots", body)
      .then(function () { openPoll.voted = true; setVoted(true); })
      .catch(function (e) {
        if (e.code === "already_voted" || e.code === "ballot_stands") { openPoll.voted = true; setVoted(true); }
        if (e.code === "tracker_taken") {  // nothing was counted: same ballot id, a new check code
          b.tracker = random("23456789ABCDEFGHJKLMNPQRSTUVWXYZ", 8);
          localStorage.setItem("yishi-ballot-" + openPoll.id, JSON.stringify(b));
        }
        $("ballot-status").textContent = e.status ? e.message : L.network;
        // Nothing was counted and the same ballot id goes again: no answer at all, a failure on
        // the appliance (5xx: a full disk, a restarting worker), throttling, or the two above.
        var retry = !e.status || e.status >= 500 || e.status === 429 || e.code === "bad_field" || e.code === "tracker_taken";
        $("submit-ballot").disabled = !retry;
      });
  });
  $("signin-meeting").addEventListener("click", function () {
    Y.api("POST", "/api/v1/meetings/" + id + "/signin").then(load).catch(function (e) { $("signin-state").hidden = false; $("signin-state").textContent = e.message; });
  });
  $("speak").addEventListener("click", function () {
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
    attendance: function (a) { if (state) { state.attendance = a; $("attendance").textContent = Y.attendanceText(a); } },
    "poll.opened": function () { choice = null; Sheet.reset(); document.querySelectorAll(".choice").forEach(function (o) { o.classList.remove("selected"); }); $("result").hidden = true; load(); },
    "poll.closed": function (r) { $("ballot").hidden = true; showResult(r); load(); },
    "meeting.changed": load,
    agenda: load,
    "paper.changed": load,
    materials: load,
    recalled: load,
    "meeting.closed": load
  });
})();
