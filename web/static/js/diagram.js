// Stator diagram rendering: draws a machine's Mermaid stateDiagram-v2 text
// (from engine.Machine.Mermaid) with the vendored Mermaid 11 and decorates the
// SVG: highlighted states (the ids from engine.Machine.Highlight) and entity
// count badges. Mermaid's own class styles do not work inside composite
// states, so highlighting is done here, on the rendered SVG.
//
// API (window.StatorDiagram):
//   render(container, source, {highlight: [nodeId], counts: {stateName: n}})
//     -> Promise<boolean> (true when this source rendered). Renders off-screen
//     and swaps the new SVG in at once (no flicker). After every finished
//     render, success or failure, container's data-rendered counter goes up.
//     On failure data-error holds Mermaid's message, the previous SVG stays
//     and is dimmed (class stator-diagram-stale); on success both are cleared.
//     Calls made while a render runs are coalesced: only the latest is drawn.
//   decorate(container, {highlight, counts}) re-marks the current SVG.
//   svg(container) -> the current SVG as text ("" when there is none).
//   nodeElements(svg) -> Map of node id -> SVG elements (for tests).
//
// Mermaid 11 gives each state's element the id
// "<svg id>-state-<node id>-<n>"; a composite state's group also carries
// data-id="<node id>". Node ids are "s_<state name>_" (engine.StateNodeID).
(function () {
  "use strict";

  var ACTIVE = "stator-active";
  var STALE = "stator-diagram-stale";
  var COUNT = "stator-count";
  var states = new WeakMap(); // container -> {busy, next, source}
  var seq = 0;
  var ready = false;

  var css =
    "." + ACTIVE + " > rect.basic, ." + ACTIVE + " > rect.label-container, ." + ACTIVE + " > path {" +
    " fill: #ffe08a !important; stroke: #b7791f !important; stroke-width: 2px !important; }\n" +
    "." + ACTIVE + " > g > rect.outer, ." + ACTIVE + " > rect.outer {" +
    " stroke: #b7791f !important; stroke-width: 2px !important; }\n" +
    "." + ACTIVE + " > rect.inner { fill: #fff8e1 !important; }\n" +
    "." + COUNT + " circle { fill: #2b6cb0; stroke: #fff; stroke-width: 1.5px; }\n" +
    "." + COUNT + " text { fill: #fff; font: 600 11px sans-serif; }\n" +
    "." + STALE + " svg { opacity: 0.35; filter: grayscale(1); transition: opacity .2s; }\n";

  function setup() {
    if (ready) return;
    if (!window.mermaid) throw new Error("Mermaid is not loaded (vendor/mermaid.min.js)");
    window.mermaid.initialize({
      startOnLoad: false,
      securityLevel: "strict",
      suppressErrorRendering: true,
      theme: "default",
      state: { useMaxWidth: true }
    });
    var style = document.createElement("style");
    style.id = "stator-diagram-style";
    style.textContent = css;
    document.head.appendChild(style);
    ready = true;
  }

  // sandbox is an invisible element outside the viewport where Mermaid lays
  // the diagram out (it must be in the document to measure text).
  function sandbox(container) {
    var box = document.getElementById("stator-diagram-sandbox");
    if (!box) {
      box = document.createElement("div");
      box.id = "stator-diagram-sandbox";
      box.setAttribute("aria-hidden", "true");
      box.style.cssText = "position:fixed;left:-100000px;top:0;visibility:hidden;pointer-events:none;";
      document.body.appendChild(box);
    }
    box.style.width = (container.clientWidth || 800) + "px";
    return box;
  }

  function stateOf(container) {
    var s = states.get(container);
    if (!s) {
      s = { busy: false, next: null, waiters: [], source: null };
      states.set(container, s);
    }
    return s;
  }

  function bump(container) {
    var n = parseInt(container.getAttribute("data-rendered") || "0", 10) || 0;
    container.setAttribute("data-rendered", String(n + 1));
  }

  function currentSVG(container) {
    for (var c = container.firstElementChild; c; c = c.nextElementSibling) {
      if (c.tagName.toLowerCase() === "svg") return c;
    }
    return null;
  }

  // nodeElements maps each node id to the SVG groups drawn for it.
  function nodeElements(svg) {
    var out = new Map();
    var prefix = svg.id + "-state-";
    var groups = svg.querySelectorAll("g[id]");
    for (var i = 0; i < groups.length; i++) {
      var g = groups[i];
      var id = g.getAttribute("data-id");
      if (!id) {
        if (g.id.indexOf(prefix) !== 0) continue;
        id = g.id.slice(prefix.length).replace(/-\d+$/, "");
      }
      if (!/^s_[a-z0-9_]+_$/.test(id)) continue; // start/end points, region boxes
      if (!out.has(id)) out.set(id, []);
      out.get(id).push(g);
    }
    return out;
  }

  // box finds where a state is drawn, in its group's coordinates.
  function box(g) {
    var r = g.querySelector(":scope > rect.label-container, :scope > rect.basic, :scope > g > rect.outer, :scope > rect.outer");
    if (!r) return null;
    var num = function (a) { return parseFloat(r.getAttribute(a)) || 0; };
    return { x: num("x"), y: num("y"), w: num("width"), h: num("height") };
  }

  function decorate(svg, opts) {
    var marked = svg.querySelectorAll("." + ACTIVE);
    for (var i = 0; i < marked.length; i++) marked[i].classList.remove(ACTIVE);
    var badges = svg.querySelectorAll("g." + COUNT);
    for (i = 0; i < badges.length; i++) badges[i].remove();
    var nodes = nodeElements(svg);
    (opts.highlight || []).forEach(function (id) {
      (nodes.get(String(id)) || []).forEach(function (g) { g.classList.add(ACTIVE); });
    });
    var counts = opts.counts || {};
    Object.keys(counts).forEach(function (name) {
      var n = Number(counts[name]);
      if (!(n > 0)) return;
      (nodes.get("s_" + name + "_") || []).forEach(function (g) {
        var b = box(g);
        if (!b) return;
        var text = n > 999 ? "999+" : String(Math.floor(n));
        var r = 7 + 3 * text.length;
        var ns = "http://www.w3.org/2000/svg";
        var badge = document.createElementNS(ns, "g");
        badge.setAttribute("class", COUNT);
        badge.setAttribute("data-state", name);
        badge.setAttribute("transform", "translate(" + (b.x + b.w - 2) + "," + (b.y + 2) + ")");
        var circle = document.createElementNS(ns, "circle");
        circle.setAttribute("r", String(r));
        var label = document.createElementNS(ns, "text");
        label.setAttribute("text-anchor", "middle");
        label.setAttribute("dominant-baseline", "central");
        label.textContent = text;
        badge.appendChild(circle);
        badge.appendChild(label);
        g.appendChild(badge);
      });
    });
  }

  async function draw(container, source, opts) {
    var s = stateOf(container);
    try {
      setup();
      var old = currentSVG(container);
      if (old && s.source === source) {
        decorate(old, opts);
      } else {
        var id = "stator-mmd-" + (++seq);
        var result;
        try {
          result = await window.mermaid.render(id, source, sandbox(container));
        } finally {
          // Mermaid leaves its scratch element behind when it fails.
          var scratch = document.getElementById("d" + id);
          if (scratch) scratch.remove();
        }
        var tpl = document.createElement("template");
        tpl.innerHTML = result.svg;
        var svg = tpl.content.querySelector("svg");
        if (!svg) throw new Error("Mermaid returned no SVG");
        decorate(svg, opts);
        container.replaceChildren(svg);
        if (result.bindFunctions) result.bindFunctions(container);
        s.source = source;
      }
      container.removeAttribute("data-error");
      container.classList.remove(STALE);
      return true;
    } catch (err) {
      var msg = (err && (err.message || err.str)) || String(err);
      container.setAttribute("data-error", msg);
      container.classList.add(STALE);
      return false;
    } finally {
      bump(container);
    }
  }

  function render(container, source, opts) {
    var s = stateOf(container);
    var job = { source: String(source), opts: opts || {} };
    return new Promise(function (resolve) {
      if (s.busy) {
        // coalesce: only the latest waiting request is drawn, and everyone
        // who waited gets its outcome
        s.next = job;
        s.waiters.push(resolve);
        return;
      }
      s.busy = true;
      (async function () {
        resolve(await draw(container, job.source, job.opts));
        while (s.next) {
          var next = s.next, waiters = s.waiters;
          s.next = null;
          s.waiters = [];
          var ok = await draw(container, next.source, next.opts);
          waiters.forEach(function (w) { w(ok); });
        }
        s.busy = false;
      })();
    });
  }

  function svgText(container) {
    var svg = currentSVG(container);
    return svg ? new XMLSerializer().serializeToString(svg) : "";
  }

  window.StatorDiagram = {
    render: render,
    decorate: function (container, opts) {
      var svg = currentSVG(container);
      if (svg) decorate(svg, opts || {});
    },
    svg: svgText,
    nodeElements: nodeElements
  };
})();
