// 请假: the member's request form and list, and the approvers' list. The pages are rendered on
// the server; this sends the forms to the API and reloads the page when the live stream says a
// request changed (approved, declined, a new one to decide).
(function () {
  "use strict";
  var root = document.getElementById("leave"), grace = document.getElementById("grace-form");
  if (!root && !grace) { return; }
  var status = document.getElementById("leave-status");

  function say(msg, ok) { status.textContent = msg; status.className = "status " + (ok ? "ok" : "error"); }
  function api(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin", headers: { "Content-Type": "application/json" },
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { throw new Error((data.error && data.error.message) || r.statusText); }
          return data;
        });
      });
  }
  function reload() { window.location.reload(); }
  function fail(e) { say(e.message, false); }

  var form = document.getElementById("leave-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var scope = form.querySelector("input[name=scope]:checked");
      var body = { reason: form.reason.value };
      if (scope && scope.value === "meeting") {
        if (form.meeting.value) { body.meeting = parseInt(form.meeting.value, 10); }
      } else {
        body.from_day = form.from_day.value; body.to_day = form.to_day.value;
      }
      api("POST", "/api/v1/leave", body).then(reload).catch(fail);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("button.withdraw"), function (b) {
    b.addEventListener("click", function () { api("POST", "/api/v1/leave/" + b.dataset.id + "/withdraw").then(reload).catch(fail); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("form.decide"), function (f) {
    f.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var decision = ev.submitter && ev.submitter.value === "decline" ? "decline" : "approve";
      var body = { decision: decision };
      if (f.note.value) { body.note = f.note.value; }
      api("POST", "/api/v1/leave/" + f.dataset.id + "/decide", body).then(reload).catch(fail);
    });
  });

  if (grace) {  // the attendance page: the grace before a sign-in counts as late
    grace.addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("POST", "/api/v1/attendance/settings", { late_grace_minutes: parseInt(grace.late_grace_minutes.value, 10) }).then(reload).catch(fail);
    });
    return;
  }
  window.YishiLive.connect("/api/v1/events", { leave: reload, connected: function (again) { if (again) { reload(); } } });
})();
