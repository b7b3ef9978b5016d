// The console's 请假 panel: pending leave requests covering this meeting, decided in place. Shown
// only to those who may decide (the director and the secretary: the API answers 403 otherwise).
// The roster itself is redrawn by console.js when the approval's attendance push arrives.
(function () {
  "use strict";
  var panel = document.getElementById("leave-panel");
  if (!panel) { return; }
  var list = document.getElementById("leave-pending"), status = document.getElementById("leave-panel-status");
  var tpl = document.getElementById("leave-item");
  var url = "/api/v1/leave/review?status=pending&meeting=" + panel.dataset.meeting;

  function call(method, path, body) {
    return fetch(path, { method: method, credentials: "same-origin", headers: { "Content-Type": "application/json" },
                         body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var e = new Error((data.error && data.error.message) || r.statusText); e.status = r.status; throw e; }
          return data;
        });
      });
  }

  function render(requests) {
    list.replaceChildren();
    requests.forEach(function (q) {
      var li = tpl.content.firstElementChild.cloneNode(true);
      li.setAttribute("data-request", String(q.id));
      li.querySelector(".who").textContent = q.name;
      li.querySelector(".what").textContent = q.meeting ? "" : q.from_day + " – " + q.to_day;
      li.querySelector(".why").textContent = q.reason;
      var form = li.querySelector("form");
      if (q.mine) { form.remove(); }
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var body = { decision: ev.submitter && ev.submitter.value === "decline" ? "decline" : "approve" };
        if (form.note.value) { body.note = form.note.value; }
        call("POST", "/api/v1/leave/" + q.id + "/decide", body)
          .then(function () { status.textContent = "✓"; status.className = "status ok"; load(); })
          .catch(function (e) { status.textContent = e.message; status.className = "status error"; });
      });
      list.appendChild(li);
    });
  }

  function load() {
    return call("GET", url).then(function (data) { panel.hidden = false; render(data.requests); })
      .catch(function (e) { if (e.status !== 403) { status.textContent = e.message; } });
  }

  load();
  function follow() { window.YishiLive.connect("/api/v1/events", { leave: load, connected: function (again) { if (again) { load(); } } }); }
  if (window.YishiLive) { follow(); } else { document.addEventListener("DOMContentLoaded", follow); }  // included mid-page, before base.html's live.js
})();
