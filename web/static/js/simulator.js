// Stator simulator: the panel is rendered by the server from a replayable
// trace (see handlers/simulate.go); this script only feeds it the editor text
// and the last trace, and puts the current state on the diagram.
(function () {
  "use strict";

  var lastTrace = null;
  var sim = document.getElementById("simulator");
  var boot = document.getElementById("sim-boot");

  function ws() { return window.StatorWorkspace; }

  // refresh replays the trace on the current text (after an edit, at start).
  function refresh() {
    if (!ws()) return;
    boot.querySelector("[name=yaml]").value = ws().text();
    boot.querySelector("[name=trace]").value = lastTrace ? JSON.stringify(lastTrace) : "";
    htmx.trigger(boot, "simulate");
  }

  // every simulator request carries the editor's current text
  document.body.addEventListener("htmx:configRequest", function (e) {
    var elt = e.detail.elt;
    if (!elt || !sim.contains(elt) || !ws()) return;
    e.detail.parameters["yaml"] = ws().text();
  });

  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (!e.detail.target || e.detail.target.id !== "simulator") return;
    var el = document.getElementById("sim-data");
    if (!el) return; // the text has errors: keep the trace for later
    var d = JSON.parse(el.textContent);
    lastTrace = d.trace;
    ws().setHighlight(d.highlight);
    sim.dataset.state = d.state;
    showCurrentStep();
  });

  // showCurrentStep keeps the step the simulation is at in view when the
  // steps scroll in their own column (a wide pane); the page itself is
  // never scrolled (at phone width the click was elsewhere).
  function showCurrentStep() {
    var at = sim.querySelector(".steps [aria-current=step]");
    var box = at && at.closest(".steps");
    if (!box || getComputedStyle(box).overflowY !== "auto") return;
    var r = at.closest("li").getBoundingClientRect(), b = box.getBoundingClientRect();
    if (r.bottom > b.bottom) box.scrollTop += Math.min(r.bottom - b.bottom, r.top - b.top);
    else if (r.top < b.top) box.scrollTop -= b.top - r.top;
  }

  function init() {
    var api = ws();
    if (api.data && api.data.trace) lastTrace = api.data.trace;
    api.trace = function () { return lastTrace; };
    var lastText = null;
    api.onAnalysis(function (a) {
      if (!a.valid) {
        // keep a running simulation for when the text is fixed, but never
        // leave the pane empty: the server says why there is no simulator
        if (!sim.firstElementChild) refresh();
        lastText = null;
        return;
      }
      var t = api.text();
      if (t === lastText) return;
      lastText = t;
      refresh();
    });
  }
  // the workspace may have started before this script ran
  if (ws() && ws().ready) init();
  else document.addEventListener("stator:workspace-ready", init);
})();
