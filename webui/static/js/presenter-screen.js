// 同屏 on the big screen: while a material is presented (and no vote is open), the screen shows
// it in the reader, following the presenter; the reader comes back here when it stops.
(function () {
  "use strict";
  var Y = window.Yishi, id = Y.root.dataset.id;
  function go(s) {
    if (!s || !s.active) { return; }
    Y.api("GET", "/api/v1/meetings/" + id).then(function (m) {
      if (m.polls.some(function (p) { return p.status === "open"; })) { return; }  // the vote comes first
      location.href = "/documents/" + s.document + "?meeting=" + id + "&screen=1";
    }).catch(function () {});
  }
  Y.live({ presenter: go, connected: function () { Y.api("GET", "/api/v1/meetings/" + id + "/presenter").then(go).catch(function () {}); } });
})();
