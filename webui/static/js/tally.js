// The scrutineer's page (监票人计票录入): one entry of the hand count, confirmed with the PIN of
// the scrutineer entering (their own tablet, or one device by turns). It never shows the other
// scrutineer's counts: only who has entered, and after a disagreement which counts differed.
(function () {
  "use strict";
  var Y = window.Yishi, L = Y.L, root = Y.root, pollId = root.dataset.poll;
  var $ = function (sel) { return document.getElementById(sel); };
  var form = $("tally-form");

  function render(s) {
    $("tally-reason").textContent = s.reason ? L.hand_count + " · " + s.reason : "";
    $("tally-facts").textContent = L.present + " " + s.present + " · " + Y.fmt(L.sheets_issued, { n: s.sheets }) +
      (s.round ? " · " + Y.fmt(L.round, { n: s.round }) : "");
    var ul = $("tally-entries");
    ul.replaceChildren();
    s.entries.forEach(function (e) { ul.appendChild(Y.el("li", { "data-person": String(e.person) }, Y.fmt(L.entered_by, { name: e.name }))); });
    var st = $("tally-state");
    if (s.accepted) {
      st.textContent = L.accepted; st.className = "status ok";
    } else if (s.mismatch.length && !s.entries.length) {
      st.textContent = Y.fmt(L.mismatch, { counts: s.mismatch_labels.join("、") }); st.className = "status error mismatch";
    } else {
      st.textContent = s.entries.length ? L.waiting_second : L.waiting_first; st.className = "status";
    }
    if (s.result) {
      $("tally-result").hidden = false;
      $("tally-result").textContent = Y.line(s.result) + " (" + L.hand_count + ")";
      $("tally-result").className = "result-line " + (s.result.passed ? "passed" : "failed");
    }
    $("tally-entry").hidden = s.accepted || !s.on_paper;
  }

  function load() { return Y.api("GET", "/api/v1/polls/" + pollId + "/paper").then(render).catch(function (e) { $("tally-state").textContent = e.message; }); }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var counts = {};
    form.querySelectorAll("input[data-counter]").forEach(function (input) {
      var v = input.value.trim();
      counts[input.dataset.counter] = /^[0-9]+$/.test(v) ? parseInt(v, 10) : v === "" ? null : Number(v);
    });
    var body = { counts: counts, pin: form.pin.value };
    var who = $("tally-who");
    if (who && who.value) { body.scrutineer = parseInt(who.value, 10); }
    $("tally-submit").disabled = true;
    Y.api("POST", "/api/v1/polls/" + pollId + "/tally", body).then(function (r) {
      $("tally-answer").textContent = r.message;
      $("tally-answer").className = "status " + (r.status === "mismatch" ? "error mismatch" : "ok");
      form.reset();
      load();
    }).catch(function (e) {
      $("tally-answer").textContent = e.message; $("tally-answer").className = "status error";
      form.pin.value = "";
    }).finally(function () { $("tally-submit").disabled = false; });
  });

  Y.live({ connected: load, "paper.changed": function (d) { if (String(d.poll) === pollId) { load(); } }, "poll.closed": load, attendance: load });
})();
