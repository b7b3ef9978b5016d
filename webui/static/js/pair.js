// Tablet side of pairing: read the one-time token from the URL fragment (never sent to the
// server by the browser itself), present it, show the short code, wait for the admin.
(function () {
  "use strict";
  var box = document.getElementById("pairing");
  var form = document.getElementById("pair-form");
  var status = document.getElementById("pair-status");
  var token = new URLSearchParams(location.hash.slice(1)).get("t");
  function say(key) { status.textContent = box.dataset["msg" + key]; }
  // Forget the token at once: it is single-use and must not linger in history.
  if (token) { history.replaceState(null, "", location.pathname); }

  function poll() {
    fetch("/api/v1/pair/status", { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (b) { return [r, b]; }); })
      .then(function (rb) {
        var body = rb[1];
        if (!rb[0].ok) { status.textContent = body.error.message; return; }
        if (body.status === "pending") { say("Pending"); setTimeout(poll, 1000); }
        else if (body.status === "approved" || body.status === "collected") { say("Approved"); location.href = box.dataset.signin; }
        else if (body.status === "rejected") { say("Rejected"); box.classList.add("failed"); }
        else { say("Expired"); }
      })
      .catch(function () { say("Network"); setTimeout(poll, 3000); });
  }

  if (!token) { form.hidden = true; say("Notoken"); return; }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    document.getElementById("pair-start").disabled = true;
    fetch("/api/v1/pair/start", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: token, device_name: document.getElementById("device-name").value })
    })
      .then(function (r) { return r.json().then(function (b) { return [r, b]; }); })
      .then(function (rb) {
        if (!rb[0].ok) { status.textContent = rb[1].error.message; box.classList.add("failed"); form.hidden = true; return; }
        form.hidden = true;
        document.getElementById("pair-wait").hidden = false;
        document.getElementById("short-code").textContent = rb[1].short_code;
        say("Pending");
        setTimeout(poll, 1000);
      })
      .catch(function () { say("Network"); document.getElementById("pair-start").disabled = false; });
  });
})();
