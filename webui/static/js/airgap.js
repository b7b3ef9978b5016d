// The red air-gap banner (webui/templates/network/_airgap_banner.html), kept current: on each
// `airgap` event, and after every reconnect, the page asks the server for the banner's sentences
// (in the reader's language) and shows or hides it. Through live.js, like every live page.
(function () {
  "use strict";
  var banner = document.getElementById("airgap-banner");
  if (!banner || !window.YishiLive) { return; }
  var list = document.getElementById("airgap-list");

  function show(found) {
    list.textContent = "";
    found.forEach(function (m) {
      var li = document.createElement("li");
      li.dataset.kind = m.kind;
      li.textContent = m.text;
      list.appendChild(li);
    });
    banner.hidden = found.length === 0;
  }

  function load() {
    fetch(banner.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data.airgap || []); } })
      .catch(function () { /* the stream's reconnect fetches again */ });
  }

  window.YishiLive.connect("/api/v1/events", {
    airgap: load,
    connected: function (again) { if (again) { load(); } }
  });
})();
