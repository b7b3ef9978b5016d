// 会议通知 / 回执 for the person it went to: the start page's waiting notices and the notice page.
// Both are rendered on the server; this sends a reply to the API, then fetches the rendered part
// again (the start page's cards, or the notice page itself), and does the same when the live
// stream says a notice arrived, was reminded or changed (`notice` on person:<id>).
(function () {
  "use strict";
  var inbox = document.getElementById("notice-inbox"), page = document.getElementById("notice-page");
  var root = inbox || page;
  if (!root) { return; }
  var done = document.getElementById("notice-done");

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

  function refresh() {
    // The start page fetches its cards; the notice page fetches itself and keeps only its body.
    var url = inbox ? "/notices/inbox" : window.location.pathname;
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (r) {
      if (!r.ok) { throw new Error(r.statusText); }
      return r.text();
    }).then(function (html) {
      if (inbox) { inbox.innerHTML = html; return; }
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.getElementById("notice-page");
      if (fresh) { page.replaceChildren.apply(page, Array.prototype.slice.call(fresh.childNodes)); }
    });
  }

  function say(form, msg, ok) {
    var box = form ? form.querySelector(".notice-status") : null;
    if (box) { box.textContent = msg; box.className = "status notice-status " + (ok ? "ok" : "error"); }
  }

  function send(form, body, button) {
    body.version = parseInt(form.dataset.version, 10);
    button.disabled = true;
    api("POST", "/api/v1/meetings/" + form.dataset.meeting + "/notice/reply", body).then(function (data) {
      return refresh().then(function () {
        if (done && inbox) { done.textContent = data.message; done.className = "status ok"; done.hidden = false; }
        var again = root.querySelector('form.notice-reply[data-meeting="' + form.dataset.meeting + '"]');
        if (again) { say(again, data.message, true); }
      });
    }).catch(function (e) { button.disabled = false; say(form, e.message, false); });
  }

  root.addEventListener("click", function (ev) {
    var b = ev.target.closest("button");
    var form = b && b.closest("form.notice-reply");
    if (!form) { return; }
    ev.preventDefault();
    if (b.classList.contains("notice-attend")) {
      send(form, { choice: "attend" }, b);
    } else if (b.classList.contains("notice-leave-open")) {
      var box = form.querySelector(".notice-leave");
      box.hidden = !box.hidden;
      b.setAttribute("aria-expanded", String(!box.hidden));
      if (!box.hidden) { box.querySelector("input[name=reason]").focus(); }
    } else if (b.classList.contains("notice-leave-send")) {
      send(form, { choice: "leave", reason: form.reason.value }, b);
    }
  });
  root.addEventListener("submit", function (ev) { ev.preventDefault(); });

  // live.js: reconnects after any error; a reconnect catches up on what was pushed meanwhile.
  window.YishiLive.connect("/api/v1/events", {
    connected: function (again) {
      root.dataset.live = "connected";
      if (again) { refresh(); }
    },
    notice: function (data) {
      if (page && String(data.meeting) !== page.dataset.meeting) { return; }
      if (done && inbox && !data.replied) { done.textContent = ""; done.hidden = true; }
      refresh();
    }
  });
})();
