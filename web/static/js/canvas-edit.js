// Stator canvas, part 2: the inspector of the selected state or transition
// and, for someone who may edit, the visual edits (SPEC 7.1). Every edit is
// computed by the server on the YAML node tree (POST /api/v1/edit, which
// keeps comments and formatting), and arrives in the editor as one undoable
// change of only the ranges that differ (StatorEditor applyEdit); the
// analysis, the diagram and the simulator then follow as after typing. A
// refused edit shows the server's problems and leaves the text alone.
//
// The toolbar (#canvas-bar), its name form (#canvas-ask), the help popover
// and the inspector's forms are templates/canvas.templ; without the toolbar
// (a viewer, a read-only workspace) the inspector only shows.
(function () {
  "use strict";

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var bar = $("#canvas-bar");
  var inspector = $("#inspector");
  var ask = $("#canvas-ask");
  var refused = $(".canvas-refused");
  var help = $("#canvas-help");
  var confirmDialog = $("#canvas-confirm");
  var status = bar && $(".canvas-status", bar);
  var canvas = null;
  var busy = false;
  var COLLAPSED_KEY = "stator:inspector-collapsed";
  var NAME = /^[a-z0-9_]+$/;

  function ws() { return window.StatorWorkspace; }
  function say(msg) {
    if (!status) return;
    status.textContent = msg || "";
    status.title = msg || "";
  }

  // ---- the edit request ----

  // edit sends one op with the editor's text; on success the answer's text
  // replaces the editor's as one undo step. It resolves to true when the
  // text changed.
  async function edit(op, what) {
    if (!bar || busy) return false;
    var ed = ws().editor;
    var text = ed.getText();
    busy = true;
    bar.setAttribute("aria-busy", "true");
    showRefused(null);
    try {
      var res = await fetch("/api/v1/edit", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ yaml: text, op: op })
      });
      var body = null;
      try { body = await res.json(); } catch (e) { /* not JSON */ }
      if (!res.ok) {
        showRefused(what, body, res.status);
        return false;
      }
      if (ed.getText() !== text) {
        // typed meanwhile: the answer is about a text that is gone
        showRefused(what, { detail: "the text changed while the edit was on its way; try again" }, 409);
        return false;
      }
      ed.applyEdit(body.yaml);
      say(what + ": done (Ctrl+Z in the editor undoes it).");
      return true;
    } catch (e) {
      showRefused(what, { detail: "the server could not be reached (" + e.message + ")" }, 0);
      return false;
    } finally {
      busy = false;
      bar.removeAttribute("aria-busy");
    }
  }

  // showRefused lists why the server refused an edit (null hides it).
  function showRefused(what, problem, statusCode) {
    if (!refused) return;
    if (!what) { refused.hidden = true; refused.replaceChildren(); return; }
    var p = document.createElement("p");
    var b = document.createElement("strong");
    b.textContent = what + " refused: ";
    p.appendChild(b);
    var detail = problem && problem.detail ? problem.detail : "the server answered " + statusCode;
    if (statusCode === 401 || statusCode === 403) detail = "you may not edit this machine (" + detail + ")";
    p.appendChild(document.createTextNode(detail + ". The text is unchanged."));
    var close = document.createElement("button");
    close.type = "button";
    close.className = "canvas-refused-close";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    refused.replaceChildren(p, close);
    var errs = problem && Array.isArray(problem.errors) ? problem.errors : [];
    if (errs.length) {
      var ul = document.createElement("ul");
      errs.slice(0, 8).forEach(function (e) {
        var li = document.createElement("li");
        li.setAttribute("data-code", e.code || "");
        li.textContent = (e.line ? e.line + ":" + (e.column || 1) + " " : "") + (e.message || e.code);
        ul.appendChild(li);
      });
      if (errs.length > 8) {
        var more = document.createElement("li");
        more.textContent = "and " + (errs.length - 8) + " more";
        ul.appendChild(more);
      }
      refused.appendChild(ul);
    }
    refused.hidden = false;
    say("");
  }
  if (refused) refused.addEventListener("click", function (e) {
    if (e.target.closest(".canvas-refused-close")) showRefused(null);
  });

  // ---- the selection and the model ----

  function selected() {
    var sel = canvas.selection();
    var m = canvas.model();
    if (sel.transition !== null && m && m.transitions[sel.transition]) return { kind: "transition", index: sel.transition, t: m.transitions[sel.transition] };
    if (sel.states.length) return { kind: "state", name: sel.states[0], st: canvas.stateModel(sel.states[0]) };
    return null;
  }

  // descendants of a state, itself included (a state cannot move into them)
  function inside(name) {
    var m = canvas.model(), out = {}, grew = true;
    out[name] = true;
    while (grew) {
      grew = false;
      m.states.forEach(function (s) { if (s.parent && out[s.parent] && !out[s.name]) { out[s.name] = true; grew = true; } });
    }
    return out;
  }

  // parentOptions fills a select with the top level and the states a state
  // may move into (not itself nor its descendants), compound states first.
  function parentOptions(select, name, current) {
    var m = canvas.model();
    select.replaceChildren();
    var top = document.createElement("option");
    top.value = "";
    top.textContent = "(top level)";
    select.appendChild(top);
    if (!m) return;
    var skip = name ? inside(name) : {};
    var list = m.states.filter(function (s) { return !skip[s.name] && s.type !== "terminal" && s.type !== "parallel"; });
    list.sort(function (a, b) { return (b.compound ? 1 : 0) - (a.compound ? 1 : 0); });
    list.forEach(function (s) {
      var o = document.createElement("option");
      o.value = s.name;
      o.textContent = s.name + (s.compound ? " (compound)" : "");
      select.appendChild(o);
    });
    select.value = current || "";
  }

  // ---- the name form ----

  var asking = null;
  function askName(opts) {
    if (!ask) return;
    asking = opts;
    $(".canvas-ask-label", ask).textContent = opts.label;
    var input = $("#canvas-ask-name", ask);
    input.value = opts.value || "";
    input.placeholder = opts.placeholder || "";
    var extra = $(".canvas-ask-extra", ask);
    extra.hidden = !opts.select;
    if (opts.select) {
      $(".canvas-ask-extra-label", ask).textContent = opts.select.label;
      opts.select.fill($("#canvas-ask-select", ask));
    }
    input.hidden = !!opts.noName;
    input.required = !opts.noName;
    ask.hidden = false;
    (opts.noName ? $("#canvas-ask-select", ask) : input).focus();
    if (!opts.noName) input.select();
  }
  function closeAsk() {
    if (!ask) return;
    ask.hidden = true;
    asking = null;
  }
  if (ask) {
    ask.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!asking) return;
      var name = $("#canvas-ask-name", ask).value.trim();
      if (!asking.noName && !NAME.test(name)) {
        showRefused(asking.what, { detail: "a name is lowercase letters, digits and _ (such as " + (asking.placeholder || "review") + ")" }, 400);
        return;
      }
      var opts = asking;
      closeAsk();
      opts.done(name, $("#canvas-ask-select", ask).value);
    });
    $(".canvas-ask-cancel", ask).addEventListener("click", function () { closeAsk(); say(""); });
  }

  // ---- the edits ----

  function freeName(base) {
    var m = canvas.model(), taken = {};
    if (m) m.states.forEach(function (s) { taken[s.name] = true; });
    if (!taken[base]) return base;
    for (var i = 2; ; i++) if (!taken[base + "_" + i]) return base + "_" + i;
  }

  var actions = {
    "add-state": function () {
      var sel = selected();
      var into = sel && sel.kind === "state" && sel.st && sel.st.compound && sel.st.type !== "parallel" ? sel.name : "";
      askName({
        what: "Add state", label: "New state", value: freeName("new_state"), placeholder: "review",
        select: { label: "inside", fill: function (s) { parentOptions(s, null, into); } },
        done: function (name, parent) {
          var op = { kind: "add_state", name: name };
          if (parent) op.parent = parent;
          edit(op, "Add state " + name).then(function (ok) { if (ok) whenState(name, function () { canvas.select({ states: [name], transition: null }, true); }); });
        }
      });
    },
    "add-transition": function () {
      var source = null;
      say("Add a transition: click its source state (Esc cancels).");
      canvas.setPicker(function (name) {
        if (source === null) {
          source = name;
          canvas.select({ states: [name], transition: null }, false);
          say("From " + name + ": now click its target state (the same state for a self-loop).");
          return;
        }
        var dest = name;
        canvas.setPicker(null);
        askName({
          what: "Add transition", label: source + " → " + dest + ", trigger", value: "", placeholder: "approve",
          done: function (trigger) {
            edit({ kind: "add_transition", trigger: trigger, source: source, dest: dest }, "Add transition " + trigger);
          }
        });
      });
    },
    "rename": function () {
      var sel = selected();
      if (!sel) return say("Select a state or a transition first.");
      if (sel.kind === "state") {
        askName({
          what: "Rename state", label: "Rename " + sel.name + " to", value: sel.name,
          done: function (to) { renameState(sel.name, to); }
        });
      } else if (sel.t.trigger && sel.t.trigger.charAt(0) !== "_") {
        askName({
          what: "Rename trigger", label: "Rename trigger " + sel.t.trigger + " to", value: sel.t.trigger,
          done: function (to) {
            if (to !== sel.t.trigger) edit({ kind: "rename_trigger", from: sel.t.trigger, to: to }, "Rename trigger " + sel.t.trigger);
          }
        });
      }
    },
    "set-initial": function () {
      var sel = selected();
      if (!sel || sel.kind !== "state") return say("Select a state first.");
      edit({ kind: "set_initial", name: sel.name }, "Make " + sel.name + " initial");
    },
    "move-into": function () {
      var sel = selected();
      if (!sel || sel.kind !== "state") return say("Select a state first.");
      askName({
        what: "Move state", label: "Move " + sel.name, noName: true,
        select: { label: "into", fill: function (s) { parentOptions(s, sel.name, sel.st ? sel.st.parent : ""); } },
        done: function (_, parent) { move(sel.name, parent); }
      });
    },
    "delete-state": function () {
      var sel = selected();
      if (!sel || sel.kind !== "state") return say("Select a state first.");
      var m = canvas.model();
      var n = m ? m.transitions.filter(function (t) { return t.dest === sel.name || t.source.indexOf(sel.name) >= 0; }).length : 0;
      confirm("Delete the state " + sel.name + (n ? " and its " + n + " transition" + (n === 1 ? "" : "s") : "") + "? Ctrl+Z in the editor brings it back.", function () {
        edit({ kind: "delete_state", name: sel.name }, "Delete " + sel.name).then(function (ok) {
          if (ok) canvas.select({ states: [], transition: null }, false);
        });
      });
    },
    "edit-transition": function () {
      var f = inspector && $(".insp-transition-form", inspector);
      if (!f || $(".inspector-transition", inspector).hidden) return say("Select a transition first.");
      openInspector();
      $("#inspector-trigger").focus();
    }
  };

  function renameState(from, to) {
    if (to === from) return;
    edit({ kind: "rename_state", from: from, to: to }, "Rename " + from).then(function (ok) {
      if (ok) whenState(to, function () { canvas.select({ states: [to], transition: null }, true); });
    });
  }
  function move(name, parent) {
    var st = canvas.stateModel(name);
    if (st && (st.parent || "") === (parent || "")) return;
    edit({ kind: "set_parent", name: name, parent: parent || "" }, "Move " + name);
  }

  // whenState runs fn once an analysis knows state name (the text's new
  // state or new name has been analysed); a newer wish replaces it.
  var waiting = null;
  function whenState(name, fn) {
    waiting = { name: name, fn: fn };
    checkWaiting();
  }
  function checkWaiting() {
    if (!waiting || !canvas.stateModel(waiting.name)) return;
    var w = waiting;
    waiting = null;
    w.fn();
  }

  function confirm(text, yes) {
    if (!confirmDialog) { if (window.confirm(text)) yes(); return; }
    $("#canvas-confirm-text").textContent = text;
    confirmDialog.returnValue = "";
    confirmDialog.showModal();
    confirmDialog.addEventListener("close", function once() {
      confirmDialog.removeEventListener("close", once);
      if (confirmDialog.returnValue === "ok") yes();
    });
  }

  function run(action) {
    if (!actions[action]) return;
    cancelPick();
    actions[action]();
  }
  function cancelPick() {
    if (canvas) canvas.setPicker(null);
  }

  // ---- the inspector ----

  // collapse folds the inspector to a strip beside the diagram (and back);
  // the choice is kept in this browser.
  function collapse(on) {
    if (!inspector) return;
    inspector.classList.toggle("collapsed", on);
    $(".inspector-toggle", inspector).setAttribute("aria-expanded", String(!on));
    try { localStorage.setItem(COLLAPSED_KEY, on ? "1" : ""); } catch (e) { /* not kept */ }
  }
  function openInspector() { collapse(false); }

  function facts(dl, rows) {
    dl.replaceChildren();
    rows.forEach(function (r) {
      if (!r[1]) return;
      var dt = document.createElement("dt");
      dt.textContent = r[0];
      var dd = document.createElement("dd");
      dd.textContent = r[1];
      dl.append(dt, dd);
    });
  }

  function fillInspector() {
    if (!inspector || !canvas) return;
    var sel = selected();
    var stateBox = $(".inspector-state", inspector), transBox = $(".inspector-transition", inspector);
    var none = !sel || (sel.kind === "state" && !sel.st);
    $(".insp-empty", inspector).hidden = !none;
    inspector.setAttribute("data-kind", none ? "" : sel.kind);
    if (none) {
      stateBox.hidden = transBox.hidden = true;
      $(".inspector-title", inspector).textContent = "Inspector";
      return;
    }
    stateBox.hidden = sel.kind !== "state";
    transBox.hidden = sel.kind !== "transition";
    if (sel.kind === "state") {
      var st = sel.st;
      $(".inspector-title", inspector).textContent = "State";
      $(".insp-state-name", stateBox).textContent = st.name;
      $(".insp-state-type", stateBox).textContent = st.type + (st.compound ? ", compound" : "");
      $(".insp-desc", stateBox).textContent = st.description || "";
      var m = canvas.model();
      var out = m.transitions.filter(function (t) { return t.source.indexOf(st.name) >= 0; }).length;
      var inn = m.transitions.filter(function (t) { return t.dest === st.name; }).length;
      facts($(".insp-facts", stateBox), [
        ["inside", st.parent], ["starts in", st.initial_child],
        ["on enter", (st.on_enter || []).join(", ")], ["on exit", (st.on_exit || []).join(", ")],
        ["timeout", st.timeout], ["regions", (st.regions || []).join(", ")],
        ["transitions", out + " out, " + inn + " in"]
      ]);
      var name = $("#inspector-name");
      if (name && document.activeElement !== name) name.value = st.name;
      var parent = $("#inspector-parent");
      if (parent && document.activeElement !== parent) parentOptions(parent, st.name, st.parent);
      var initial = $('[data-testid="inspector-initial"]', stateBox);
      if (initial) initial.disabled = st.type === "initial" && !st.parent;
    } else {
      var t = sel.t;
      $(".inspector-title", inspector).textContent = "Transition " + sel.index;
      $(".insp-trans-trigger", transBox).textContent = t.trigger || "(after " + t.after + ")";
      $(".insp-trans-path", transBox).textContent = t.source.join(", ") + " → " + t.dest;
      $(".insp-desc", transBox).textContent = t.description || "";
      guardList($(".insp-guards", transBox), sel.index, t);
      facts($(".insp-facts", transBox), [["actions", (t.actions || []).join(", ")], ["after", t.after], ["region", t.region]]);
      var form = $(".insp-transition-form", transBox);
      if (form && !form.contains(document.activeElement)) {
        $("#inspector-trigger").value = t.trigger || "";
        $("#inspector-guards").value = (t.guards || []).join("\n");
        $("#inspector-actions").value = (t.actions || []).join("\n");
        form.dataset.index = String(sel.index);
      }
      var rt = $('[data-testid="inspector-rename-trigger"]', transBox);
      if (rt) rt.disabled = !t.trigger || t.trigger.charAt(0) === "_";
    }
  }

  // guardList shows the transition's guards with their answers now.
  function guardList(ul, index, t) {
    ul.replaceChildren();
    var sim = null;
    canvas.simTransitions().forEach(function (s) { if (s.index === index) sim = s; });
    var answers = {};
    if (sim && sim.guards) sim.guards.forEach(function (g) { answers[g.guard] = g; });
    (t.guards || []).forEach(function (g) {
      var li = document.createElement("li");
      var a = answers[g];
      li.className = a ? (a.passed ? "pass" : "fail") : "unknown";
      li.setAttribute("data-guard", g);
      li.textContent = (a ? (a.passed ? "✓ " : "✗ ") : "· ") + g + (a ? (a.passed ? " is true" : " is false") : sim ? " (not evaluated)" : "");
      ul.appendChild(li);
    });
    var last = document.createElement("li");
    if (sim) {
      last.className = sim.available ? "pass" : "fail";
      last.textContent = sim.available ? "Available now: click it on the diagram to fire " + sim.trigger + "." : "Blocked now: " + sim.reason;
    } else {
      last.className = "unknown";
      last.textContent = "Not a transition of the simulation's current state" + (t.guards && t.guards.length ? ": its guards are not evaluated." : ".");
    }
    ul.appendChild(last);
  }

  // lines reads a textarea: one item per line (commas split names too).
  function lines(text, names) {
    var out = [];
    text.split("\n").forEach(function (l) {
      l = l.trim();
      if (!l) return;
      if (names) l.split(",").forEach(function (x) { x = x.trim(); if (x) out.push(x); });
      else out.push(l);
    });
    return out;
  }
  function sameList(a, b) { return a.length === b.length && a.every(function (x, i) { return x === b[i]; }); }

  function wireInspector() {
    if (!inspector) return;
    $(".inspector-toggle", inspector).addEventListener("click", function () { collapse(!inspector.classList.contains("collapsed")); });
    try { if (localStorage.getItem(COLLAPSED_KEY)) collapse(true); } catch (e) { /* not kept */ }
    var rf = $(".insp-rename-form", inspector);
    if (rf) rf.addEventListener("submit", function (e) {
      e.preventDefault();
      var sel = selected();
      var to = $("#inspector-name").value.trim();
      if (!sel || sel.kind !== "state") return;
      if (!NAME.test(to)) return showRefused("Rename " + sel.name, { detail: "a name is lowercase letters, digits and _" }, 400);
      renameState(sel.name, to);
    });
    var pf = $(".insp-parent-form", inspector);
    if (pf) pf.addEventListener("submit", function (e) {
      e.preventDefault();
      var sel = selected();
      if (sel && sel.kind === "state") move(sel.name, $("#inspector-parent").value);
    });
    var tf = $(".insp-transition-form", inspector);
    if (tf) tf.addEventListener("submit", function (e) {
      e.preventDefault();
      var sel = selected();
      if (!sel || sel.kind !== "transition") return;
      var t = sel.t;
      var op = { kind: "update_transition", index: sel.index };
      var trigger = $("#inspector-trigger").value.trim();
      if (trigger && trigger !== t.trigger) op.trigger = trigger;
      var guards = lines($("#inspector-guards").value, false);
      if (!sameList(guards, t.guards || [])) op.guards = guards.map(function (g) { return NAME.test(g) ? g : { expr: g }; });
      var acts = lines($("#inspector-actions").value, true);
      if (!sameList(acts, t.actions || [])) op.actions = acts;
      if (!op.trigger && !op.guards && !op.actions) return say("Nothing changed.");
      tf.dataset.index = "";
      edit(op, "Change transition " + sel.index);
    });
    inspector.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-action]");
      if (b && !b.disabled) run(b.dataset.action);
    });
  }

  // ---- toolbar, keys, help ----

  function syncBar() {
    if (!bar) return;
    var sel = selected();
    var state = sel && sel.kind === "state";
    var trig = sel && sel.kind === "transition" && sel.t.trigger && sel.t.trigger.charAt(0) !== "_";
    bar.querySelector('[data-action="rename"]').disabled = !(state || trig);
    bar.querySelector('[data-action="set-initial"]').disabled = !state || (sel.st && sel.st.type === "initial" && !sel.st.parent);
    bar.querySelector('[data-action="move-into"]').disabled = !state;
    bar.querySelector('[data-action="delete-state"]').disabled = !state;
  }

  function toggleHelp(on) {
    if (!help) return;
    var open = on === undefined ? help.hidden : on;
    help.hidden = !open;
    var b = bar && $(".canvas-help-btn", bar);
    if (b) b.setAttribute("aria-expanded", String(open));
  }

  var KEYS = { s: "add-state", t: "add-transition", r: "rename", F2: "rename", i: "set-initial", m: "move-into", Delete: "delete-state", Backspace: "delete-state", e: "edit-transition" };

  function typing(el) {
    return !!(el && el.closest && (el.closest("input, textarea, select, [contenteditable], .cm-editor") || el.isContentEditable));
  }

  function wireBar() {
    if (!bar) return;
    bar.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b || b.disabled) return;
      if (b.classList.contains("canvas-help-btn")) { toggleHelp(); return; }
      if (b.dataset.action) run(b.dataset.action);
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") {
        if (asking) { closeAsk(); say(""); return; }
        if (help && !help.hidden) { toggleHelp(false); return; }
        if (canvas) { canvas.setPicker(null); say(""); }
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || e.defaultPrevented) return;
      if (document.querySelector("dialog[open]")) return;
      if (e.key === "?") { e.preventDefault(); toggleHelp(); return; }
      var action = KEYS[e.key] || KEYS[e.key.toLowerCase()];
      if (!action || e.shiftKey) return;
      e.preventDefault();
      run(action);
    });
    document.addEventListener("click", function (e) {
      if (help && !help.hidden && !help.contains(e.target) && !e.target.closest(".canvas-help-btn")) toggleHelp(false);
    });
  }

  function init() {
    canvas = window.StatorCanvas;
    if (!canvas) return;
    canvas.onSelect(function () {
      // a message about the last edit ends with the next selection (a
      // picking hint stays while picking)
      if (status && /: done/.test(status.textContent)) say("");
      fillInspector();
      syncBar();
    });
    ws().onAnalysis(function () { checkWaiting(); fillInspector(); syncBar(); });
    document.body.addEventListener("htmx:afterSettle", function (e) {
      if (e.detail.target && e.detail.target.id === "simulator") fillInspector();
    });
    wireInspector();
    wireBar();
    fillInspector();
    syncBar();
  }

  if (window.StatorWorkspace && window.StatorWorkspace.ready) init();
  else document.addEventListener("stator:workspace-ready", init);
})();
