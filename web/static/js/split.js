// Stator workspace split: the editor on the left, the diagram over the
// simulator on the right. Two handles (role=separator, data-split-handle):
// "editor" moves sideways and sets the editor's share of the width; "sim"
// moves up and down and sets the simulator's share of the right column's
// height. Drag a handle, or focus it and use the arrow keys (2%, Shift: 10%),
// Home/End for the ends, Enter (or a double-click) for the default. Sizes are
// percentages kept in the CSS custom properties --split-editor and
// --split-sim on <html> and remembered in this browser (localStorage
// "stator:split"; prefs.js applies them before the first paint). At phone
// width the panes stack and the handles hide.
(function () {
  "use strict";

  var grid = document.querySelector(".ws-grid[data-split]");
  if (!grid) return;
  var root = document.documentElement;
  var KEY = "stator:split";
  var DEFAULTS = { editor: 36, sim: 50 };
  var LIMITS = { editor: [18, 65], sim: [20, 80] };
  var size = { editor: DEFAULTS.editor, sim: DEFAULTS.sim };

  try {
    var saved = JSON.parse(localStorage.getItem(KEY) || "null");
    if (saved && typeof saved === "object") {
      ["editor", "sim"].forEach(function (k) { if (Number(saved[k]) > 0) size[k] = Number(saved[k]); });
    }
  } catch (e) { /* a corrupt entry is replaced by the next save */ }

  function clamp(which, v) {
    var lim = LIMITS[which];
    return Math.round(Math.min(Math.max(v, lim[0]), lim[1]) * 10) / 10;
  }

  // position is where a handle sits, in percent from the left (editor) or
  // from the top of the right column (sim): its aria-valuenow, and what the
  // arrow keys move.
  function position(which) { return which === "editor" ? size.editor : 100 - size.sim; }
  function fromPosition(which, pos) { return which === "editor" ? pos : 100 - pos; }

  function apply() {
    root.style.setProperty("--split-editor", size.editor + "%");
    root.style.setProperty("--split-sim", size.sim + "%");
    grid.querySelectorAll("[data-split-handle]").forEach(function (h) {
      var which = h.getAttribute("data-split-handle");
      var lim = LIMITS[which];
      var a = fromPosition(which, lim[0]), b = fromPosition(which, lim[1]);
      h.setAttribute("aria-valuenow", String(Math.round(position(which))));
      h.setAttribute("aria-valuemin", String(Math.min(a, b)));
      h.setAttribute("aria-valuemax", String(Math.max(a, b)));
    });
  }

  var saveTimer = null;
  function remember() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(function () {
      try { localStorage.setItem(KEY, JSON.stringify(size)); } catch (e) { /* not remembered */ }
    }, 100);
  }

  function moveTo(which, pos) {
    size[which] = clamp(which, fromPosition(which, pos));
    apply();
    remember();
  }

  grid.addEventListener("pointerdown", function (e) {
    var h = e.target.closest("[data-split-handle]");
    if (!h || e.button !== 0) return;
    e.preventDefault();
    var which = h.getAttribute("data-split-handle");
    // the sim handle moves within the right column: the diagram's top to the simulator's bottom
    var box = which === "editor" ? grid.getBoundingClientRect() : null;
    if (!box) {
      var top = grid.querySelector(".ws-center").getBoundingClientRect();
      var bottom = grid.querySelector(".ws-right").getBoundingClientRect();
      box = { top: top.top, height: bottom.bottom - top.top };
    }
    var cls = which === "editor" ? "resizing" : "resizing-rows";
    h.setPointerCapture(e.pointerId);
    h.focus();
    document.body.classList.add(cls);
    function move(ev) {
      moveTo(which, which === "editor" ? (ev.clientX - box.left) / box.width * 100 : (ev.clientY - box.top) / box.height * 100);
    }
    function end() {
      h.removeEventListener("pointermove", move);
      h.removeEventListener("pointerup", end);
      h.removeEventListener("pointercancel", end);
      document.body.classList.remove(cls);
    }
    h.addEventListener("pointermove", move);
    h.addEventListener("pointerup", end);
    h.addEventListener("pointercancel", end);
  });

  grid.addEventListener("keydown", function (e) {
    var h = e.target.closest("[data-split-handle]");
    if (!h) return;
    var which = h.getAttribute("data-split-handle");
    var step = e.shiftKey ? 10 : 2;
    var pos = position(which);
    var back = which === "editor" ? "ArrowLeft" : "ArrowUp";
    var on = which === "editor" ? "ArrowRight" : "ArrowDown";
    switch (e.key) {
      case back: moveTo(which, pos - step); break;
      case on: moveTo(which, pos + step); break;
      case "Home": moveTo(which, 0); break;
      case "End": moveTo(which, 100); break;
      case "Enter": moveTo(which, fromPosition(which, DEFAULTS[which])); break;
      default: return;
    }
    e.preventDefault();
  });

  grid.addEventListener("dblclick", function (e) {
    var h = e.target.closest("[data-split-handle]");
    if (!h) return;
    var which = h.getAttribute("data-split-handle");
    moveTo(which, fromPosition(which, DEFAULTS[which]));
  });

  size.editor = clamp("editor", size.editor);
  size.sim = clamp("sim", size.sim);
  apply();
})();
