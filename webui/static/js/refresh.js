// Reloads an element's HTML from data-refresh every two seconds (the admin's waiting-tablet
// list), leaving it alone while the admin is choosing something in it.
(function () {
  "use strict";
  document.querySelectorAll("[data-refresh]").forEach(function (el) {
    function load() {
      if (el.contains(document.activeElement) && document.activeElement.tagName === "SELECT") {
        setTimeout(load, 2000); return;
      }
      fetch(el.dataset.refresh, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null && html !== el.dataset.last) { el.innerHTML = html; el.dataset.last = html; } })
        .finally(function () { setTimeout(load, 2000); });
    }
    setTimeout(load, 2000);
  });
})();
