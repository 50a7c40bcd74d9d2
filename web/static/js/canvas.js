// Stator canvas: the diagram linked to the text and to the simulation
// (SPEC 7.1). The YAML text stays the source of truth; this script only
// marks the SVG that diagram.js drew, never asks for a new drawing:
//
//   - text → picture: what the editor's cursor is on (a state's definition
//     or a reference to it, a transition) is marked data-selected="true";
//   - picture → text: clicking a state selects its definition in the
//     editor, clicking a transition puts the cursor on it;
//   - simulation: the transitions the simulator would take now carry
//     data-available="true" (clicking one fires its event through the
//     simulator's own button), the blocked ones data-reason;
//   - hovering a state shows its description, enter/exit actions and
//     timers; hovering a transition its guards, with their answers in the
//     simulation.
//
// Everything here restyles the SVG in place (attributes on its groups), so
// moving the cursor or the pointer costs no drawing.
//
// API (window.StatorCanvas), for canvas-edit.js:
//   selection()           {states: [name], transition: index|null}
//   select(sel, reveal)   marks sel; with reveal, moves the editor's cursor to it
//   onSelect(fn)          fn(selection) after every change of the selection
//   model()               the last valid analysis' model (templates.MachineModel)
//   simTransitions()      the simulator's transitions now (templates.SimTransition)
//   setPicker(fn|null)    while set, a click on a state calls fn(name) instead
(function () {
  "use strict";

  var diagram = document.getElementById("diagram");
  if (!diagram) return;
  var wrap = diagram.closest(".diagram-wrap");
  var selection = { states: [], transition: null };
  var model = null;
  var simData = null;
  var listeners = [];
  var picker = null;

  function ws() { return window.StatorWorkspace; }
  function svg() {
    var c = diagram.querySelector(":scope > .stator-canvas");
    return c ? c.querySelector(":scope > svg") : null;
  }
  function esc(s) { return String(s).replace(/["\\]/g, "\\$&"); }

  // ---- marks ----

  // nodesOf are the SVG groups of a state; a state inside a collapsed
  // compound (not drawn) is shown by the nearest drawn compound around it.
  function nodesOf(root, name) {
    for (var n = name, guard = 0; n && guard < 64; guard++) {
      var list = root.querySelectorAll('g[data-state="' + esc(n) + '"]:not(.stator-count)');
      if (list.length) return Array.prototype.slice.call(list);
      var st = stateModel(n);
      n = st ? st.parent : "";
    }
    return [];
  }
  function edgesOf(root, index) {
    var i = String(index);
    return Array.prototype.slice.call(root.querySelectorAll('[data-transition="' + i + '"], [data-transitions~="' + i + '"]'));
  }
  var byName = {};
  function stateModel(name) {
    return Object.prototype.hasOwnProperty.call(byName, name) ? byName[name] : null;
  }

  // mark puts data-selected, data-available and data-reason on the SVG as
  // the selection and the simulation say.
  function mark() {
    var root = svg();
    if (!root) return;
    root.querySelectorAll("[data-selected]").forEach(function (el) { el.removeAttribute("data-selected"); });
    root.querySelectorAll("[data-available]").forEach(function (el) { el.removeAttribute("data-available"); });
    root.querySelectorAll("[data-reason]").forEach(function (el) { el.removeAttribute("data-reason"); });
    selection.states.forEach(function (name) {
      nodesOf(root, name).forEach(function (g) { g.setAttribute("data-selected", "true"); });
    });
    if (selection.transition !== null) {
      edgesOf(root, selection.transition).forEach(function (el) { el.setAttribute("data-selected", "true"); });
    }
    if (simulating()) {
      simData.transitions.forEach(function (t) {
        edgesOf(root, t.index).forEach(function (el) {
          if (t.available) el.setAttribute("data-available", "true");
          else if (t.reason) el.setAttribute("data-reason", t.reason);
        });
      });
    }
  }

  // simulating: the simulator (not the entity counts) is what the diagram shows
  function simulating() {
    return !!(simData && simData.transitions && ws() && ws().activeTab !== "entities");
  }

  // hitPaths lays a wide transparent stroke over each edge: a 1px line is
  // hard to hit with a pointer, a finger even more so.
  function hitPaths(root) {
    root.querySelectorAll("path[data-transition]").forEach(function (p) {
      var hit = p.cloneNode(false);
      hit.removeAttribute("id");
      hit.removeAttribute("data-id");
      hit.removeAttribute("data-transition");
      hit.removeAttribute("data-transitions");
      hit.removeAttribute("marker-end");
      hit.removeAttribute("marker-start");
      hit.removeAttribute("style");
      hit.setAttribute("class", "stator-hit");
      // as attributes too: an exported SVG (without the page's CSS) shows nothing of it
      hit.setAttribute("fill", "none");
      hit.setAttribute("stroke", "transparent");
      hit.setAttribute("stroke-width", "14");
      hit.setAttribute("pointer-events", "stroke");
      hit.setAttribute("aria-hidden", "true");
      hit.setAttribute("data-hit", p.getAttribute("data-transitions") || p.getAttribute("data-transition"));
      p.parentNode.insertBefore(hit, p.nextSibling);
    });
  }

  // transitionAt is the transition index under an event's target, or null.
  function transitionAt(target) {
    var el = target.closest && target.closest("[data-transition], [data-hit]");
    if (!el || !diagram.contains(el)) return null;
    var list = (el.getAttribute("data-transitions") || el.getAttribute("data-hit") || el.getAttribute("data-transition") || "").split(" ");
    // of a merged edge, the available one if any
    if (simulating() && list.length > 1) {
      for (var i = 0; i < list.length; i++) if (simFor(+list[i]) && simFor(+list[i]).available) return +list[i];
    }
    return list[0] === "" ? null : +list[0];
  }
  function stateAt(target) {
    var g = target.closest && target.closest("g[data-state]:not(.stator-count)");
    return g && diagram.contains(g) ? g.getAttribute("data-state") : null;
  }
  function simFor(index) {
    if (!simulating()) return null;
    for (var i = 0; i < simData.transitions.length; i++) if (simData.transitions[i].index === index) return simData.transitions[i];
    return null; // a short list: the current state's candidates
  }

  // ---- selection ----

  function same(a, b) {
    return a.transition === b.transition && a.states.join(" ") === b.states.join(" ");
  }
  function select(sel, reveal) {
    sel = { states: (sel && sel.states) || [], transition: sel && sel.transition != null ? sel.transition : null };
    var ed = ws() && ws().editor;
    if (reveal && ed) {
      if (sel.transition !== null) ed.revealTransition(sel.transition);
      else if (sel.states.length) ed.revealState(sel.states[0]);
    }
    if (same(sel, selection)) return;
    selection = sel;
    mark();
    if (!reveal) bringIntoView();
    listeners.forEach(function (fn) { try { fn(selection); } catch (e) { console.error(e); } });
  }

  // bringIntoView pans the diagram to what the editor's cursor selected
  // when it is out of sight (the view does not move when it is in sight).
  function bringIntoView() {
    var root = svg(), view = window.StatorDiagramView && window.StatorDiagramView.get(diagram);
    if (!root || !view) return;
    var els = root.querySelectorAll('[data-selected="true"]');
    if (els.length) view.reveal(Array.prototype.map.call(els, function (g) { return g.querySelector("rect") || g; }));
  }

  // ---- clicks: select, fire, pick ----

  diagram.addEventListener("click", function (e) {
    var index = transitionAt(e.target);
    var name = index === null ? stateAt(e.target) : null;
    if (picker) {
      if (name !== null && index === null) { e.preventDefault(); picker(name); }
      return;
    }
    if (index !== null) {
      var t = simFor(index);
      if (t && t.available && !e.shiftKey && !e.altKey) {
        fire(t.trigger);
        return;
      }
      select({ states: [], transition: index }, true);
      return;
    }
    if (name !== null) select({ states: [name], transition: null }, true);
  });

  // fire sends the event through the simulator's button: the same request,
  // with the payload typed under it.
  function fire(trigger) {
    var b = document.querySelector('#simulator [data-testid="event-' + esc(trigger) + '"]');
    if (!b || b.disabled) return false;
    b.click();
    return true;
  }

  // ---- hover cards ----

  var tip = document.createElement("div");
  tip.className = "canvas-tip";
  tip.setAttribute("role", "tooltip");
  tip.setAttribute("data-testid", "canvas-tip");
  tip.hidden = true;
  (wrap || diagram).appendChild(tip);
  var tipFor = null;

  function line(parent, label, text, cls) {
    var p = document.createElement("div");
    p.className = "tip-line" + (cls ? " " + cls : "");
    if (label) {
      var b = document.createElement("span");
      b.className = "tip-label";
      b.textContent = label;
      p.appendChild(b);
    }
    p.appendChild(document.createTextNode(text));
    parent.appendChild(p);
    return p;
  }
  function title(parent, text, extra) {
    var h = document.createElement("div");
    h.className = "tip-title";
    var c = document.createElement("code");
    c.textContent = text;
    h.appendChild(c);
    if (extra) {
      var s = document.createElement("span");
      s.className = "tip-extra";
      s.textContent = extra;
      h.appendChild(s);
    }
    parent.appendChild(h);
  }

  // stateCard fills the card of a state: type, description, actions, timers.
  function stateCard(name) {
    var st = stateModel(name);
    tip.replaceChildren();
    title(tip, name, st ? st.type + (st.compound ? ", compound" : "") : "");
    if (!st) { line(tip, "", "Not in the last valid text."); return; }
    if (st.description) line(tip, "", st.description, "tip-desc");
    if (st.parent) line(tip, "inside ", st.parent);
    if (st.initial_child) line(tip, "starts in ", st.initial_child);
    if (st.on_enter && st.on_enter.length) line(tip, "on enter ", st.on_enter.join(", "));
    if (st.on_exit && st.on_exit.length) line(tip, "on exit ", st.on_exit.join(", "));
    if (st.timeout) line(tip, "timeout ", st.timeout);
    model.transitions.forEach(function (t) {
      if (t.after && t.source.indexOf(name) >= 0) line(tip, "after ", t.after + " → " + t.dest + (t.trigger && t.trigger.charAt(0) !== "_" ? " (" + t.trigger + ")" : ""));
    });
    if (st.regions && st.regions.length) line(tip, "regions ", st.regions.join(", "));
    if (!st.description && !(st.on_enter && st.on_enter.length) && !(st.on_exit && st.on_exit.length) && !st.timeout) {
      line(tip, "", "No description, actions or timers.", "tip-muted");
    }
  }

  // transitionCard fills the card of a transition: its guards with their
  // answers in the simulation now, its actions, why it is blocked.
  function transitionCard(index) {
    var t = model && model.transitions[index];
    tip.replaceChildren();
    if (!t) { title(tip, "transition " + index); return; }
    title(tip, t.trigger || "(after " + t.after + ")", t.source.join(", ") + " → " + t.dest);
    if (t.description) line(tip, "", t.description, "tip-desc");
    var s = simFor(index);
    var answers = {};
    if (s && s.guards) s.guards.forEach(function (g) { answers[g.guard] = g; });
    if (t.guards && t.guards.length) {
      var box = document.createElement("ul");
      box.className = "tip-guards";
      t.guards.forEach(function (g) {
        var li = document.createElement("li");
        var a = answers[g];
        li.className = a ? (a.passed ? "pass" : "fail") : "unknown";
        li.setAttribute("data-guard", g);
        var mark = document.createElement("span");
        mark.className = "tip-mark";
        mark.setAttribute("aria-hidden", "true");
        mark.textContent = a ? (a.passed ? "✓" : "✗") : "·";
        li.appendChild(mark);
        var code = document.createElement("code");
        code.textContent = g;
        li.appendChild(code);
        var expr = model.guard_exprs && model.guard_exprs[g];
        var what = a ? (a.passed ? " is true" : " is false" + (a.error ? " (" + a.error + ")" : "")) : (s ? " was not evaluated" : "");
        li.appendChild(document.createTextNode((expr ? " (" + expr + ")" : "") + what));
        box.appendChild(li);
      });
      line(tip, "guards", "");
      tip.appendChild(box);
    } else {
      line(tip, "", "No guards.", "tip-muted");
    }
    if (t.actions && t.actions.length) line(tip, "actions ", t.actions.join(", "));
    if (s && s.available) line(tip, "", "Available now: click to fire " + t.trigger + " (Shift+click selects it).", "tip-ok");
    else if (s && s.reason) line(tip, "blocked ", s.reason, "tip-bad");
  }

  function showTip(kind, key, e) {
    if (!model) return hideTip();
    var id = kind + ":" + key;
    if (tipFor !== id) {
      tipFor = id;
      if (kind === "state") stateCard(key); else transitionCard(key);
    }
    tip.hidden = false;
    place(e);
  }
  function place(e) {
    var box = (wrap || diagram).getBoundingClientRect();
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var x = e.clientX - box.left + 14, y = e.clientY - box.top + 16;
    if (x + w > box.width - 4) x = Math.max(4, e.clientX - box.left - w - 10);
    if (y + h > box.height - 4) y = Math.max(4, e.clientY - box.top - h - 12);
    tip.style.transform = "translate(" + Math.round(x) + "px," + Math.round(y) + "px)";
  }
  function hideTip() {
    tip.hidden = true;
    tipFor = null;
  }
  diagram.addEventListener("pointermove", function (e) {
    if (e.buttons || diagram.classList.contains("stator-panning")) return hideTip();
    var index = transitionAt(e.target);
    if (index !== null) return showTip("transition", index, e);
    var name = stateAt(e.target);
    if (name !== null) return showTip("state", name, e);
    hideTip();
  });
  diagram.addEventListener("pointerleave", hideTip);
  diagram.addEventListener("pointerdown", hideTip);
  diagram.addEventListener("wheel", hideTip, { passive: true });

  // ---- wiring ----

  diagram.addEventListener("stator:diagram-shown", function (e) {
    hitPaths(e.detail.svg);
    hideTip();
    mark();
  });

  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (!e.detail.target || e.detail.target.id !== "simulator") return;
    var el = document.getElementById("sim-data");
    simData = el ? JSON.parse(el.textContent) : null;
    tipFor = null;
    mark();
  });
  // the tab between the simulator and the entity counts
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[role=tab]")) setTimeout(mark, 0);
  });

  function init() {
    var api = ws();
    var ed = api.editor;
    api.onAnalysis(function (a) {
      if (!a.valid || !a.model) return;
      model = a.model;
      byName = {};
      model.states.forEach(function (st) { byName[st.name] = st; });
      tipFor = null;
      var info = {};
      model.states.forEach(function (s) {
        info[s.name] = s.type + (s.description ? ": " + s.description : "");
      });
      ed.setNames({ states: model.states.map(function (s) { return s.name; }), triggers: model.triggers,
        guards: model.guards, actions: model.actions, regions: model.regions, info: info });
      mark();
    });
    ed.onCursor(function (at) { select(at, false); });
    var at = ed.locate();
    if (at.states.length || at.transition !== null) select(at, false);
  }

  window.StatorCanvas = {
    selection: function () { return { states: selection.states.slice(), transition: selection.transition }; },
    select: select,
    onSelect: function (fn) { listeners.push(fn); },
    model: function () { return model; },
    simTransitions: function () { return simulating() ? simData.transitions : []; },
    setPicker: function (fn) {
      picker = fn;
      diagram.classList.toggle("canvas-picking", !!fn);
    },
    stateModel: stateModel
  };

  if (ws() && ws().ready) init();
  else document.addEventListener("stator:workspace-ready", init);
})();
