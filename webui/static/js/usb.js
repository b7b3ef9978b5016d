// The USB pages' live stick panel: on every usb.state event (and whenever the stream opens
// again) it fetches the panel fragment and puts it in place. The server renders every word.
(function () {
  "use strict";
  var panel = document.getElementById("usb-state");
  if (!panel || !window.YishiLive) { return; }
  var busy = false, again = false;

  function refresh() {
    if (busy) { again = true; return; }
    // Leave the panel alone while staff type a passphrase into it.
    if (panel.contains(document.activeElement) && document.activeElement.tagName === "INPUT") { again = true; return; }
    busy = true;
    fetch(panel.dataset.panel, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { panel.innerHTML = html; } })
      .finally(function () { busy = false; if (again) { again = false; setTimeout(refresh, 200); } });
  }

  window.YishiLive.connect("/api/v1/events?usb=1", {
    connected: function () { refresh(); },
    "usb.state": function () { refresh(); }
  });
})();
