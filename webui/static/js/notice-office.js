// 会议通知 for the office: send the notice (or its changed version), remind those who have not
// replied, and redraw the server-rendered list of replies when the live stream says someone
// replied (`notice.reply` on the office's roles).
(function () {
  "use strict";
  var root = document.getElementById("notice-office");
  if (!root) { return; }
  var meeting = root.dataset.meeting, KEY = "notice-office-message";

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
  function say(id, msg, ok) {
    var box = document.getElementById(id);
    if (box) { box.textContent = msg; box.className = "status " + (ok ? "ok" : "error"); }
  }

  var kept = window.sessionStorage.getItem(KEY);
  if (kept) { window.sessionStorage.removeItem(KEY); say("notice-form-status", kept, true); }

  var form = document.getElementById("notice-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var button = document.getElementById("notice-send");
      button.disabled = true;
      api("POST", "/api/v1/meetings/" + meeting + "/notice/send", { place: form.place.value, extra: form.extra.value }).then(function (data) {
        window.sessionStorage.setItem(KEY, data.message);
        window.location.reload();  // the page shows the version sent and offers the next
      }).catch(function (e) { button.disabled = false; say("notice-form-status", e.message, false); });
    });
  }

  var card = document.getElementById("notice-replies-card"), remindMessage = null, timer = null;
  function redraw() {
    return fetch("/meetings/" + meeting + "/notice/replies", { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(r.statusText); }
      return r.text();
    }).then(function (html) {
      card.innerHTML = html;
      if (remindMessage) { say("notice-remind-status", remindMessage[0], remindMessage[1]); }
    });
  }
  card.addEventListener("click", function (ev) {
    var b = ev.target.closest("#notice-remind");
    if (!b) { return; }
    b.disabled = true;
    api("POST", "/api/v1/meetings/" + meeting + "/notice/remind").then(function (data) {
      remindMessage = [data.message, true];
      return redraw();
    }).catch(function (e) { b.disabled = false; remindMessage = [e.message, false]; say("notice-remind-status", e.message, false); });
  });

  // live.js: reconnects after any error, and then redraws what may have changed meanwhile.
  window.YishiLive.connect("/api/v1/events", {
    connected: function (again) {
      root.dataset.live = "connected";
      if (again) { redraw(); }
    },
    "notice.reply": function (data) {
      if (String(data.meeting) !== meeting) { return; }
      clearTimeout(timer);
      timer = setTimeout(redraw, 150);  // a burst of replies redraws once
    }
  });
})();
