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
    keepFocus();
    var el = document.getElementById("sim-data");
    if (!el) return; // the text has errors: keep the trace for later
    var d = JSON.parse(el.textContent);
    lastTrace = d.trace;
    ws().setHighlight(d.highlight);
    sim.dataset.state = d.state;
    showCurrentStep();
  });

  // Keyboard users keep their place: every answer replaces the panel, and
  // the focused control goes with it. htmx refocuses a control with the same
  // id when the new panel has one; when it has not, or that control is now
  // disabled (the event just fired is not available any more), focus goes to
  // the first event that can fire now after an event (or the new state when
  // none can), else to the control at
  // the same position among the panel's controls, so the next Tab continues
  // from there instead of from the top of the page.
  // Pointer users are left alone (focusing could scroll the page).
  var keyboard = false, focusAt = -1, focusID = "", focusEvent = false;
  document.addEventListener("keydown", function () { keyboard = true; }, true);
  document.addEventListener("pointerdown", function () { keyboard = false; }, true);
  function controls() {
    return Array.prototype.filter.call(sim.querySelectorAll("button, input, select, textarea, a[href], summary"), function (c) {
      return !c.disabled && c.offsetParent !== null;
    });
  }
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (!e.detail.target || e.detail.target.id !== "simulator") return;
    var a = document.activeElement;
    focusAt = keyboard && a && a !== sim && sim.contains(a) ? controls().indexOf(a) : -1;
    focusID = focusAt >= 0 ? a.id : "";
    focusEvent = focusAt >= 0 && a.matches("button[name=op][value^='event:']");
  });
  function keepFocus() {
    if (focusAt < 0) return;
    var at = focusAt;
    focusAt = -1;
    var a = document.activeElement;
    if (a && a !== document.body && document.contains(a) && !a.disabled) return;
    var same = focusID && document.getElementById(focusID);
    var list = controls();
    var next = same && list.indexOf(same) >= 0 ? same : null;
    if (!next && focusEvent) {
      // an event that can fire now, else the state it led to (the next Tab
      // continues from the top of the panel)
      next = list.filter(function (c) { return c.matches("button[name=op][value^='event:']"); })[0] ||
        sim.querySelector("[data-testid=sim-state]");
    }
    if (!next) next = list[Math.min(at, list.length - 1)];
    if (next) next.focus();
  }

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
