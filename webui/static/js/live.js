// The page's live connection (Server-Sent Events), shared by every page that has one. It never
// gives up: after any error (nginx restarted, a worker killed, the Wi-Fi gone) it closes the
// stream and opens it again after a back-off with jitter, so 500 tablets that lost the stream at
// the same moment come back spread over hundreds of milliseconds instead of in one burst. Each
// (re)open calls handlers.connected(again): the page fetches its state again, and the stream
// asks for what it missed (last_event_id: nchan keeps a buffer of recent messages).
// Plain script (no build step), exposes window.YishiLive.
(function () {
  "use strict";
  var FIRST = 500, MOST = 15000;

  function connect(url, handlers, opts) {
    opts = opts || {};
    var es = null, attempt = 0, timer = null, lastId = null, closed = false, opens = 0, failsWithId = 0;

    function open() {
      timer = null;
      var u = url;
      if (lastId) { u += (u.indexOf("?") < 0 ? "?" : "&") + "last_event_id=" + encodeURIComponent(lastId); }
      var current = es = new EventSource(u);
      var opened = false;
      current.onopen = function () {
        opened = true; attempt = 0; failsWithId = 0; opens += 1;
        if (handlers.connected) { handlers.connected(opens > 1); }
      };
      current.onerror = function () {
        current.close();
        if (!opened && lastId && ++failsWithId >= 2) { lastId = null; }  // an id the server no longer knows
        if (es === current) { schedule(); }
      };
      Object.keys(handlers).forEach(function (name) {
        if (name === "connected") { return; }
        current.addEventListener(name, function (ev) {
          if (ev.lastEventId) { lastId = ev.lastEventId; }
          handlers[name](ev.data ? JSON.parse(ev.data) : {}, ev);
        });
      });
    }

    function schedule() {
      if (closed || timer) { return; }
      var cap = Math.min(MOST, FIRST * Math.pow(2, attempt));
      attempt += 1;
      timer = setTimeout(open, cap / 2 + Math.random() * cap / 2);
    }

    open();
    return {
      close: function () { closed = true; if (timer) { clearTimeout(timer); } if (es) { es.close(); } },
      source: function () { return es; }
    };
  }

  window.YishiLive = { connect: connect };
})();
