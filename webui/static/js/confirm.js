// One confirm step for every irreversible action, stating its consequence (issue 14): a native
// <dialog> (base.html), never window.confirm. Two ways in:
//   window.YishiConfirm(message, okLabel) -> Promise<boolean>           from a page script
//   <form data-confirm="…"> / <button data-confirm="…" data-confirm-ok="…">  a plain form
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog) { return; }
  var message = document.getElementById("confirm-message");
  var ok = dialog.querySelector("button.ok"), cancel = dialog.querySelector("button.cancel");
  var settle = null, opener = null;

  function finish(answer) {
    if (dialog.open) { dialog.close(); }
    var s = settle;
    settle = null;
    if (opener && opener.focus) { opener.focus(); }
    if (s) { s(answer); }
  }
  ok.addEventListener("click", function () { finish(true); });
  cancel.addEventListener("click", function () { finish(false); });
  dialog.addEventListener("cancel", function (ev) { ev.preventDefault(); finish(false); });  // Esc

  function ask(text, okLabel) {
    if (settle) { finish(false); }
    opener = document.activeElement;
    message.textContent = text;
    ok.textContent = okLabel || ok.dataset.default;
    dialog.showModal();
    cancel.focus();  // the safe answer has the focus
    return new Promise(function (resolve) { settle = resolve; });
  }
  window.YishiConfirm = ask;

  // Plain forms: the submit waits for the answer, then goes ahead once.
  document.addEventListener("submit", function (ev) {
    var form = ev.target, btn = ev.submitter;
    var text = (btn && btn.dataset.confirm) || form.dataset.confirm;
    if (!text || form.dataset.confirmed === "1") { delete form.dataset.confirmed; return; }
    ev.preventDefault();
    ev.stopImmediatePropagation();
    ask(text, (btn && (btn.dataset.confirmOk || btn.textContent.trim())) || "").then(function (yes) {
      if (!yes) { return; }
      form.dataset.confirmed = "1";
      if (form.requestSubmit) { form.requestSubmit(btn || undefined); } else { form.submit(); }
    });
  }, true);
})();
