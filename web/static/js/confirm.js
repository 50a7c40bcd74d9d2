// Asks before submitting a form marked data-confirm, with the page's <dialog>.
(function () {
  "use strict";
  var dialog = document.getElementById("confirm");
  if (!dialog) return;
  var pending = null;
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.dataset || !form.dataset.confirm || form.dataset.confirmed === "yes") return;
    e.preventDefault();
    pending = form;
    document.getElementById("confirm-text").textContent = form.dataset.confirm;
    dialog.showModal();
  });
  dialog.addEventListener("close", function () {
    if (dialog.returnValue === "ok" && pending) {
      pending.dataset.confirmed = "yes";
      pending.requestSubmit();
    }
    pending = null;
  });
})();
