// Shared by the tablet, the console and the big screen: JSON calls, the live event stream,
// the result bars and the countdown. Plain script (no build step), exposes window.Yishi.
(function () {
  "use strict";
  var root = document.getElementById("meeting");
  var L = JSON.parse(document.getElementById("labels").textContent);

  function api(method, url, body, isForm) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      if (isForm) { opts.body = body; } else { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    }
    return fetch(url, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error((data.error && data.error.message) || r.statusText); e.code = data.error && data.error.code; e.status = r.status; throw e; }
        return data;
      });
    });
  }

  function live(handlers) {
    // live.js: reconnects after any error with back-off and jitter; `connected` runs on every
    // (re)connect, so the page fetches again what it may have missed.
    return window.YishiLive.connect("/api/v1/events?meeting=" + root.dataset.id, handlers);
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") { e.className = attrs[k]; } else if (k.indexOf("data-") === 0) { e.setAttribute(k, attrs[k]); } else { e[k] = attrs[k]; }
    });
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, k) { return String(values[k]); });
  }

  function bars(box, r) {
    if (r.kind && r.kind !== "motion" && window.YishiSheet) { return window.YishiSheet.bars(box, r); }  // sheet-ballot.js
    box.replaceChildren();
    var max = Math.max(1, r.yes + r.no + r.abstain + r.not_voted);
    [["yes", r.yes], ["no", r.no], ["abstain", r.abstain], ["not_voted", r.not_voted]].forEach(function (pair) {
      var label = pair[0] === "not_voted" ? L.not_voted : L.choices[pair[0]];
      var row = el("div", { "class": "bar-row " + pair[0] });
      row.appendChild(el("span", { "class": "bar-label" }, label));
      var track = el("span", { "class": "bar-track" });
      var fill = el("span", { "class": "bar-fill" });
      fill.setAttribute("data-width", String(Math.round(100 * pair[1] / max)));
      track.appendChild(fill);
      row.appendChild(track);
      row.appendChild(el("span", { "class": "bar-value" }, String(pair[1])));
      box.appendChild(row);
      // Widths via CSSOM (allowed by the CSP, unlike style attributes in markup).
      fill.style.width = fill.getAttribute("data-width") + "%";
    });
  }

  // Attendance in words. With the meeting (its status): before sign-in opens nobody is absent
  // yet, during the meeting those not here are 未签到, only a closed meeting has 缺席.
  function attendanceText(a, meeting) {
    var c = L.counts, U = L.ux || {}, status = meeting ? meeting.status : "closed";
    var quorum = U.quorum_is ? fmt(U.quorum_is, { n: a.quorum_needed }) : "(" + a.quorum_needed + ")";
    if (status === "planned" && !a.present && !a.excused && U.signin_not_open) {
      return c.membership + " " + a.membership + " · " + U.signin_not_open + " · " + quorum;
    }
    var away = status === "closed" || !U.not_signed_in ? c.absent : U.not_signed_in;
    return c.membership + " " + a.membership + " · " + c.present + " " + a.present + " · " + c.excused + " " + a.excused +
      " · " + away + " " + a.absent + " · " + c.attendees + " " + a.attendees_present +
      " — " + (a.quorum_met ? L.quorum_met : L.quorum_not_met) + " · " + quorum;
  }

  // Attendance snapshots come from several workers and reach the page by two roads (the push and
  // the state fetch), in any order: each carries `at`, when it was read on the server's
  // monotonic clock (nanoseconds, one clock for every worker, as a decimal string). A snapshot
  // is shown only if it is not older than the one on the page, so a late old count never
  // replaces a newer one. Compared as digit strings: JSON numbers lose nanoseconds past 2^53.
  function fresher(next, shown) {
    if (!shown || !shown.at || !next) { return true; }
    if (!next.at) { return false; }
    var a = String(next.at), b = String(shown.at);
    return a.length !== b.length ? a.length > b.length : a >= b;
  }
  // The newer of two attendance snapshots (for a state fetch that may be older than a push).
  function newerAttendance(fetched, shown) { return fresher(fetched, shown) ? fetched : shown; }

  // The countdown runs from the server's remaining seconds (poll.closes_in) on this page's own
  // monotonic clock (performance.now), never from Date: a tablet whose clock is an hour off
  // still shows the time the server will hold to. The same poll drawn again keeps its deadline.
  var timers = {};
  function countdown(node, poll, key) {
    var t = timers[key] || {};
    clearInterval(t.id);
    if (!poll || poll.closes_in === null || poll.closes_in === undefined) { node.hidden = true; timers[key] = {}; return; }
    var same = t.poll === poll.id && t.closesAt === poll.closes_at;
    var deadline = same ? t.deadline : performance.now() / 1000 + poll.closes_in;
    node.hidden = false;
    function tick() {
      var left = Math.max(0, Math.round(deadline - performance.now() / 1000));
      node.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left === 0) { clearInterval(timers[key].id); }
    }
    timers[key] = { poll: poll.id, closesAt: poll.closes_at, deadline: deadline };
    tick();
    timers[key].id = setInterval(tick, 500);
  }

  // A result's words in this page's language: a live event carries both (result_words.payload).
  function line(r) { return (r.words && r.words[L.locale]) || r.line || ""; }

  window.Yishi = { line: line, api: api, live: live, el: el, fmt: fmt, bars: bars, attendanceText: attendanceText, fresher: fresher, newerAttendance: newerAttendance, countdown: countdown, L: L, root: root };
})();
