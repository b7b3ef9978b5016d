// The admin's own clock for the device-clock forms (clock/admin.html, clock/_unlock.html): shows
// it beside the device's, and puts it into each form's browser_time field at the moment the form
// is sent (not when the page loaded), so the page can sit open for minutes without going stale.
(function () {
  "use strict";
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function text(d) {
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " +
      two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  function show() {
    var now = text(new Date());
    document.querySelectorAll("[data-browser-time]").forEach(function (el) { el.textContent = now; });
  }
  document.querySelectorAll("input[name=browser_time]").forEach(function (input) {
    var form = input.form;
    if (form) form.addEventListener("submit", function () { input.value = String(Date.now()); });
  });
  show();
  setInterval(show, 1000);
})();
