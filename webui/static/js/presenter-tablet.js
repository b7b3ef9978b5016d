// 同屏 on the tablet's meeting page: while something is presented, a banner opens it at the
// presenter's page (the reader follows from there). Beside tablet.js, on its own stream.
(function () {
  "use strict";
  var Y = window.Yishi, id = Y.root.dataset.id;
  var banner = document.getElementById("presenter-banner");
  var text = document.getElementById("presenter-banner-text");
  var open = document.getElementById("presenter-banner-open");
  function show(s) {
    banner.hidden = !(s && s.active);
    if (!banner.hidden) {
      text.textContent = Y.fmt(text.dataset.template, { title: s.title, page: s.page });
      open.href = "/documents/" + s.document + "?meeting=" + id;
    }
  }
  function load() { Y.api("GET", "/api/v1/meetings/" + id + "/presenter").then(show).catch(function () {}); }
  Y.live({ presenter: show, connected: load });
})();
