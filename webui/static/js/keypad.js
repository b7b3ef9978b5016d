// A large on-screen keypad for PIN entry (the system keyboard is small for older members).
(function () {
  "use strict";
  document.querySelectorAll(".keypad").forEach(function (pad) {
    var input = document.getElementById(pad.dataset.target);
    pad.addEventListener("click", function (ev) {
      var key = ev.target.dataset && ev.target.dataset.key;
      if (!key) { return; }
      if (key === "clear") { input.value = ""; }
      else if (key === "back") { input.value = input.value.slice(0, -1); }
      else if (input.value.length < 8) { input.value += key; }
      input.focus();
    });
  });
})();
