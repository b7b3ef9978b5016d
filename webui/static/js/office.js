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
    var es = new EventSource("/api/v1/events");
    es.addEventListener("office.inbox", function (ev) {
      var d = JSON.parse(ev.data);
      setCount(d.count);
      show(document.documentElement.lang === "en" ? "Something new is waiting for you." : "您有新的待办事项。");
      if (document.getElementById("inbox-circulations") && !typing()) { window.location.reload(); }
    });
    es.addEventListener("office.reminder", function (ev) {
      var d = JSON.parse(ev.data);
      setCount(d.count);
      show((document.documentElement.lang === "en" ? "Reminder: please read " : "提醒：请阅读") + "《" + d.title + "》");
    });
    es.addEventListener("office.receipt", function (ev) {
      var d = JSON.parse(ev.data);
      var page = document.querySelector("[data-circulation]");
      if (page && String(d.circulation) === page.dataset.circulation && document.getElementById("receipts") && !typing()) {
        window.location.reload();
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
