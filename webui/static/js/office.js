// The office pages: live inbox badge and reminders over Server-Sent Events, receipts that
// refresh themselves for the sender, and forms that cannot be sent twice by a double tap.
(function () {
  "use strict";
  var badge = document.getElementById("office-badge");
  var banner = document.getElementById("office-live");

  function show(text) {
    if (!banner) { return; }
    banner.textContent = text;
    banner.hidden = false;
  }

  function setCount(n) {
    if (!badge || typeof n !== "number") { return; }
    badge.textContent = String(n);
    badge.hidden = n === 0;
  }

  function typing() {
    var el = document.activeElement;
    return el && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT");
  }

  if (window.EventSource) {
    window.YishiLive.connect("/api/v1/events", {
      connected: function (again) {  // back after a lost stream: the lists may have changed meanwhile
        if (again && (document.getElementById("inbox-circulations") || document.getElementById("receipts")) && !typing()) { window.location.reload(); }
      },
      "office.inbox": function (d) {
        setCount(d.count);
        show(document.documentElement.lang === "en" ? "Something new is waiting for you." : "您有新的待办事项。");
        if (document.getElementById("inbox-circulations") && !typing()) { window.location.reload(); }
      },
      "office.reminder": function (d) {
        setCount(d.count);
        show((document.documentElement.lang === "en" ? "Reminder: please read " : "提醒：请阅读") + "《" + d.title + "》");
      },
      "office.receipt": function (d) {
        var page = document.querySelector("[data-circulation]");
        if (page && String(d.circulation) === page.dataset.circulation && document.getElementById("receipts") && !typing()) {
          window.location.reload();
        }
      }
    });
  }

  // One tap, one request: the server is repeat-safe too, but a second tap should not even leave.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.dataset.sent === "1") { ev.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button").forEach(function (b) { b.classList.add("busy"); });
      setTimeout(function () { form.dataset.sent = ""; }, 8000);
    });
  });
})();
