// The migration page: while a migration runs, the entities on the target
// revision are counted every half second (the request itself answers only
// when it is done, with bounded memory however many entities move).
(function () {
  "use strict";
  var page = document.querySelector("[data-testid=migrate-page]");
  var form = document.getElementById("migrate-form");
  if (!page || !form) return;
  var bar = document.getElementById("migrate-progress");
  var text = document.getElementById("migrate-progress-text");
  var timer = null;
  function poll(to) {
    fetch("/machines/" + page.dataset.machine + "/migrate/progress?to=" + encodeURIComponent(to), { headers: { "HX-Request": "true" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        var tmp = document.createElement("div");
        tmp.innerHTML = html;
        var c = tmp.querySelector("[data-testid=migrate-progress-count]");
        if (!c || timer === null) return;
        bar.max = Math.max(1, Number(c.dataset.total));
        bar.value = Number(c.dataset.on);
        text.textContent = c.textContent;
      })
      .catch(function () { /* the next poll tries again */ });
  }
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    if (e.detail.elt !== form) return;
    var submitter = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent && e.detail.requestConfig.triggeringEvent.submitter;
    if (!submitter || submitter.value !== "false") return; // a dry run is quick
    var to = form.querySelector("[name=to_revision]").value;
    bar.hidden = false;
    bar.removeAttribute("value");
    text.textContent = "Moving…";
    timer = setInterval(function () { poll(to); }, 500);
    poll(to);
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    if (e.detail.elt !== form || timer === null) return;
    clearInterval(timer);
    timer = null;
    bar.hidden = true;
    text.textContent = "";
  });
})();
