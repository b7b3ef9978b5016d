// Counts down an element's data-seconds; shows data-expired when it reaches zero.
(function () {
  "use strict";
  var el = document.getElementById("expiry");
  if (!el) { return; }
  var end = Date.now() + 1000 * parseInt(el.dataset.seconds, 10);
  function tick() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    if (left === 0) { el.textContent = el.dataset.expired; el.classList.add("error"); return; }
    el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    setTimeout(tick, 1000);
  }
  tick();
})();
