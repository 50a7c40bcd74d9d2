// Stator diagram: draws a machine's Mermaid stateDiagram-v2 text (from
// engine.Machine.MermaidDiagram) without holding up the page, and decorates
// the SVG: hooks for tests and later tools (data-state on every state,
// data-transition on every transition edge and label, data-region on
// regions), highlighted states (the ids of engine.Machine.Highlight) and
// entity count badges.
//
// Rendering happens in renderer frames (render.html, diagram-frame.js): a
// sandboxed iframe, which Chromium runs in another process, so a machine that
// takes seconds to lay out never blocks typing. Where the frame cannot start,
// the page draws itself (window.mermaid, loaded on demand).
//
// The pipeline, per container:
//   - a request whose text is already drawn only re-marks the SVG;
//   - otherwise it waits for a pause that grows with how long the last
//     drawing took beyond PAUSE_FREE (at most MAX_PAUSE), then goes to the
//     frame; a newer
//     request replaces a waiting one, and abandons a running one that has run
//     for RECYCLE_MS (the frame is thrown away and a fresh one started);
//   - meanwhile the last good picture stays, marked "Redrawing…";
//   - a drawing that takes longer than BUDGET_MS gives way to an overview
//     (compound states collapsed) with a notice; machines over LARGE start
//     with it; "Expand all" in the notice asks for everything, without the
//     budget;
//   - any failure sets data-error to a sentence; the last good SVG stays,
//     dimmed.
//
// API (window.StatorDiagram):
//   render(container, source, {highlight: [nodeId], counts: {state: n}, edges: [index]})
//     -> Promise<boolean> (true when the picture now shows this source).
//     After every finished render (drawn or failed) the container's
//     data-rendered counter goes up; data-error holds the reason of a failure.
//   decorate(container, {highlight, counts}) re-marks the current SVG.
//   svg(container) -> the current SVG as text, as Mermaid drew it ("" when none).
//   nodeElements(svg) -> Map of node id -> SVG groups (for tests).
//   setLayout(container, "dagre"|"elk"), layout(container)
//   collapse(container, stateName, collapsed?) toggles a compound state.
//   stats(container) -> {prepare, draw, show}: ms of the last render's steps.
//   The container fires "stator:diagram-shown" ({detail: {svg}}) after a new
//   SVG went in, for marks of the page's own (canvas.js).
//
// Mermaid 11 gives each state's group the id "<svg id>-state-<node id>-<n>"
// (a composite's group also carries data-id="<node id>"); node ids are
// "s_<state name>_" (engine.StateNodeID), regions "r_<parallel>_<k>_"
// (engine.RegionNodeID). Edges are numbered "edge0", "edge1", ... in the
// order of the text's edge statements, which engine.MermaidDiagram.Edges
// maps to transition indexes.
(function () {
  "use strict";

  var ACTIVE = "stator-active";
  var STALE = "stator-diagram-stale";
  var COUNT = "stator-count";
  var BUSY = "stator-busy";
  var NS = "http://www.w3.org/2000/svg";

  // Mermaid's limits, raised to fit SPEC 11 (5,000 states, 20,000
  // transitions, 512 KiB of machine text, whose diagram text is larger).
  var LIMITS = { maxTextSize: 16 * 1024 * 1024, maxEdges: 200000 };
  var MAX_PAUSE = 2000;     // ms: the longest pause before a redraw
  var PAUSE_FREE = 500;     // ms: drawings faster than this start without a pause
  var RECYCLE_MS = 600;     // ms: a running render this old is abandoned for a newer text
  var BUDGET_MS = 5000;     // ms: a full drawing slower than this gives way to the overview
  var HARD_MS = 120000;     // ms: no drawing may take longer
  var FRAME_START_MS = 20000;
  var LARGE_STATES = 250;   // a machine with more states starts with the overview...
  var LARGE_EDGES = 600;    // ... and so does one with more edges
  var OVERVIEW_NODES = 150; // an overview of collapsed compounds at most this big...
  var OVERVIEW_EDGES = 150; // ... else the neighbourhood of the active state
  var NEAR_CAP = 40;        // states shown around the active one in a neighbourhood
  var NUDGE_MAX = 400;      // labels moved off titles only up to this many labels
  var LAYOUT_KEY = "stator:diagram-layout";

  var states = new WeakMap();
  var seq = 0;

  function stateOf(container) {
    var s = states.get(container);
    if (!s) {
      s = {
        source: null, edges: null, opts: {}, want: null, latest: null, inflight: null, timer: null,
        shown: null, lastMs: 0, renders: 0, frame: null, collapsed: null, expandAll: false,
        layout: storedLayout(), overview: false, machine: null,
        stats: { prepare: 0, draw: 0, show: 0 } // ms: last request's preparation, drawing (in the renderer), showing
      };
      states.set(container, s);
      wire(container, s);
    }
    return s;
  }

  function storedLayout() {
    try {
      var v = localStorage.getItem(LAYOUT_KEY);
      return v === "elk" || v === "dagre" ? v : null;
    } catch (e) { return null; }
  }

  function bump(container) {
    var n = parseInt(container.getAttribute("data-rendered") || "0", 10) || 0;
    container.setAttribute("data-rendered", String(n + 1));
  }

  function currentSVG(container) {
    var canvas = container.querySelector(":scope > .stator-canvas");
    var root = canvas || container;
    for (var c = root.firstElementChild; c; c = c.nextElementSibling) {
      if (c.tagName.toLowerCase() === "svg") return c;
    }
    return null;
  }

  // ---- the machine text: size, compounds, collapsing ----

  // outline reads the structure of engine.Machine.Mermaid's text (one
  // statement per line, `state "x" as id {` ... `}` blocks).
  function outline(text) {
    var lines = text.split("\n");
    var parent = {}, children = {}, stack = [], states = 0, composite = {}, label = {}, order = [], edges = [], initial = null;
    for (var i = 0; i < lines.length; i++) {
      var body = lines[i].trim();
      if (body === "}") { stack.pop(); continue; }
      var m = /^state "([^"]*)" as (\S+)( \{)?$/.exec(body);
      if (m) {
        var id = m[2];
        parent[id] = stack.length ? stack[stack.length - 1] : null;
        if (parent[id]) (children[parent[id]] = children[parent[id]] || []).push(id);
        if (id.charAt(0) === "s") { states++; order.push(id); }
        label[id] = m[1];
        if (m[3]) { stack.push(id); composite[id] = true; }
        continue;
      }
      var e = /^(\S+) --> (\S+)(?: : (.*))?$/.exec(body);
      if (e) {
        edges.push({ from: e[1], to: e[2], label: e[3] || "" });
        if (e[1] === "[*]" && !stack.length && initial === null) initial = e[2];
      }
    }
    return { parent: parent, children: children, composite: composite, states: states, edges: edges.length, edgeList: edges,
      lines: lines, label: label, order: order, initial: initial };
  }

  function countInside(o, id) {
    var n = 0;
    (o.children[id] || []).forEach(function (c) {
      if (c.charAt(0) === "s") n++;
      n += countInside(o, c);
    });
    return n;
  }

  // collapseText draws the collapsed compound states (a set of node ids) as
  // single states: their insides are left out, edges to and from inside
  // states go to the compound, edges inside it disappear, and parallel edges
  // between the same two states become one, labelled with the first and the
  // count. It returns the text and, per edge statement, the transition
  // indexes it stands for.
  function collapseText(o, edges, collapsed, labels) {
    var owner = {};
    Object.keys(o.parent).forEach(function (id) {
      var top = null;
      for (var p = o.parent[id]; p; p = o.parent[p]) if (collapsed.has(p)) top = p;
      if (top) owner[id] = top;
    });
    var out = [], k = 0, stack = [], merged = {}, map = [];
    o.lines.forEach(function (line) {
      var body = line.trim();
      var inside = stack.some(function (id) { return collapsed.has(id); });
      if (body === "}") {
        var closing = stack.pop();
        if (!inside || (collapsed.has(closing) && !stack.some(function (id) { return collapsed.has(id); }))) {
          if (!collapsed.has(closing)) out.push({ line: line });
        }
        return;
      }
      var isEdge = body.indexOf(" --> ") > 0;
      var idx = isEdge ? k++ : -1;
      var m = /^state "([^"]*)" as (\S+)( \{)?$/.exec(body);
      if (m && m[3]) {
        if (!inside && collapsed.has(m[2])) {
          var n = countInside(o, m[2]);
          out.push({ line: line.replace(/ \{$/, "").replace(/^(\s*state ")([^"]*)"/, "$1$2 (+" + n + ")\""), collapsed: m[2] });
        } else if (!inside) {
          out.push({ line: line });
        }
        stack.push(m[2]);
        return;
      }
      if (inside) return;
      if (!isEdge) { out.push({ line: line }); return; }
      var e = /^(\s*)(\S+) --> (\S+)(?: : (.*))?$/.exec(line);
      if (!e) { out.push({ line: line, edge: [edges ? edges[idx] : -1] }); return; }
      var from = owner[e[2]] || e[2], to = owner[e[3]] || e[3];
      var moved = from !== e[2] || to !== e[3];
      if (moved && from === to) return; // inside one collapsed state
      var t = edges && idx < edges.length ? edges[idx] : -1;
      if (moved) {
        var key = from + " " + to;
        if (merged[key]) {
          merged[key].count++;
          if (t >= 0 && merged[key].edge.indexOf(t) < 0) merged[key].edge.push(t);
          return;
        }
        var entry = { indent: e[1], from: from, to: to, label: e[4] || "", count: 1, edge: t >= 0 ? [t] : [] };
        merged[key] = entry;
        out.push(entry);
        return;
      }
      out.push({ line: line, edge: t >= 0 ? [t] : [] });
    });
    var text = out.map(function (x) {
      if (x.line !== undefined) {
        if (x.edge) map.push(x.edge);
        return x.line;
      }
      map.push(x.edge);
      var label = labels ? x.label : "";
      if (labels && x.count > 1) label = (label ? label + " " : "") + "(+" + (x.count - 1) + " more)";
      return x.indent + x.from + " --> " + x.to + (label ? " : " + label : "");
    }).join("\n");
    var nodes = 0;
    out.forEach(function (x) { if (x.line !== undefined && /^\s*state "/.test(x.line)) nodes++; });
    return { text: text, edges: map, nodes: nodes };
  }

  // neighbourhood draws only the focus states and the states one transition
  // away (at most cap of them), without compound boxes: the overview of a
  // machine too large to draw otherwise.
  function neighbourhood(o, edges, focus, cap) {
    var keep = new Set(focus), hidden = 0;
    function add(id) {
      if (id === "[*]" || keep.has(id)) return;
      if (keep.size - focus.size >= cap) { hidden++; return; }
      keep.add(id);
    }
    o.edgeList.forEach(function (e) {
      if (focus.has(e.from)) add(e.to);
      if (focus.has(e.to)) add(e.from);
    });
    var out = ["stateDiagram-v2"], map = [];
    o.lines.slice(1).forEach(function (line) {
      if (/^\s*(accTitle|accDescr|direction)[: ]/.test(line)) out.push(line);
    });
    o.order.concat(Object.keys(o.composite).filter(function (id) { return o.order.indexOf(id) < 0; })).forEach(function (id) {
      if (keep.has(id)) out.push("    state \"" + o.label[id] + "\" as " + id);
    });
    if (o.initial && keep.has(o.initial)) { out.push("    [*] --> " + o.initial); map.push([]); }
    var seen = {};
    o.edgeList.forEach(function (e, k) {
      if (!keep.has(e.from) || !keep.has(e.to)) return;
      var t = edges && k < edges.length ? edges[k] : -1;
      var key = e.from + " " + e.to;
      if (seen[key]) {
        if (t >= 0) seen[key].edge.push(t);
        seen[key].count++;
        return;
      }
      seen[key] = { e: e, edge: t >= 0 ? [t] : [], count: 1 };
      out.push(seen[key]);
    });
    var text = out.map(function (x) {
      if (typeof x === "string") return x;
      map.push(x.edge);
      var label = x.e.label + (x.count > 1 ? " (+" + (x.count - 1) + " more)" : "");
      return "    " + x.e.from + " --> " + x.e.to + (label ? " : " + label : "");
    }).join("\n") + "\n";
    return { text: text, edges: map, shown: keep.size, hidden: hidden };
  }

  // ---- theme ----

  function cssVar(name, fallback) {
    var v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    // Mermaid's colour maths reads hex and rgb()/hsl() only
    return /^(#[0-9a-f]{3,8}|rgba?\([^)]*\)|hsla?\([^)]*\))$/i.test(v) ? v : fallback;
  }

  function themeName() {
    var t = document.documentElement.getAttribute("data-theme");
    if (t === "dark" || t === "light") return t;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function mermaidConfig(layout) {
    var dark = themeName() === "dark";
    var bg = cssVar("--bg", dark ? "#14171f" : "#f7f8fa");
    var panel = cssVar("--panel", dark ? "#1c2130" : "#ffffff");
    var ink = cssVar("--ink", dark ? "#e6e9ef" : "#1d2330");
    var muted = cssVar("--muted", dark ? "#9aa3b5" : "#5d6678");
    var line = cssVar("--line", dark ? "#333a4a" : "#dde1e8");
    var accent = cssVar("--accent", dark ? "#7b96ff" : "#3557d6");
    var font = getComputedStyle(document.body).fontFamily || "sans-serif";
    return Object.assign({
      layout: layout,
      theme: "base",
      darkMode: dark,
      fontFamily: font,
      themeVariables: {
        darkMode: dark,
        fontFamily: font,
        fontSize: "14px",
        background: panel,
        mainBkg: panel,
        primaryColor: panel,
        primaryTextColor: ink,
        primaryBorderColor: accent,
        secondaryColor: bg,
        tertiaryColor: bg,
        lineColor: muted,
        textColor: ink,
        nodeBorder: accent,
        clusterBkg: bg,
        clusterBorder: line,
        edgeLabelBackground: panel,
        labelBackgroundColor: panel,
        stateBkg: panel,
        stateLabelColor: ink,
        compositeBackground: bg,
        compositeTitleBackground: bg,
        altBackground: bg,
        innerEndBackground: accent,
        specialStateColor: ink
      },
      state: { useMaxWidth: false, padding: 10, nodeSpacing: 40, rankSpacing: 50 },
      elk: { considerModelOrder: "NODES_AND_EDGES", cycleBreakingStrategy: "GREEDY_MODEL_ORDER", nodePlacementStrategy: "BRANDES_KOEPF", mergeEdges: false }
    }, LIMITS);
  }

  // ---- renderers ----

  // frameRenderer draws in a sandboxed iframe of render.html.
  function frameRenderer() {
    var iframe = null, ready = null, pending = {}, failed = false;
    function start() {
      iframe = document.createElement("iframe");
      iframe.className = "stator-render-frame";
      iframe.setAttribute("sandbox", "allow-scripts");
      iframe.setAttribute("aria-hidden", "true");
      iframe.setAttribute("tabindex", "-1");
      iframe.title = "diagram renderer";
      // laid out (text must be measured) but out of sight
      iframe.style.cssText = "position:fixed;left:-20000px;top:0;width:1200px;height:900px;border:0;visibility:hidden;pointer-events:none;";
      var frame = iframe;
      ready = new Promise(function (resolve, reject) {
        var timer = setTimeout(function () { reject(new Error("the diagram renderer did not start")); }, FRAME_START_MS);
        frame.stator = { resolve: function () { clearTimeout(timer); resolve(); } };
      });
      iframe.src = "/static/render.html";
      document.body.appendChild(iframe);
    }
    window.addEventListener("message", function (e) {
      if (!iframe || e.source !== iframe.contentWindow || !e.data) return;
      var d = e.data;
      if (d.type === "ready") { iframe.stator.resolve(); return; }
      var p = pending[d.id];
      if (!p) return;
      delete pending[d.id];
      p.resolve(d.type === "done" ? { svg: String(d.svg), ms: d.ms } : { error: String(d.message || "Mermaid failed"), ms: d.ms });
    });
    return {
      render: function (job) {
        if (failed) return Promise.reject(new Error("no frame"));
        if (!iframe) start();
        return ready.then(function () {
          return new Promise(function (resolve, reject) {
            pending[job.id] = { resolve: resolve, reject: reject };
            iframe.contentWindow.postMessage({ type: "render", id: job.id, source: job.text, config: job.config }, "*");
          });
        }, function (err) { failed = true; throw err; });
      },
      // warm starts the frame before the first drawing is asked for
      warm: function () { if (!iframe && !failed) start(); },
      // kill throws the frame away with whatever it was drawing
      kill: function () {
        if (iframe) iframe.remove();
        iframe = null;
        Object.keys(pending).forEach(function (id) { pending[id].reject(new Error("abandoned")); delete pending[id]; });
      }
    };
  }

  // pageRenderer draws in the page itself: the fallback where frames do not work.
  function pageRenderer() {
    var loading = {};
    function load(src) {
      if (!loading[src]) {
        loading[src] = new Promise(function (resolve, reject) {
          var s = document.createElement("script");
          s.src = src;
          s.onload = resolve;
          s.onerror = function () { reject(new Error("could not load " + src)); };
          document.head.appendChild(s);
        });
      }
      return loading[src];
    }
    function sandbox() {
      var box = document.getElementById("stator-diagram-sandbox");
      if (!box) {
        box = document.createElement("div");
        box.id = "stator-diagram-sandbox";
        box.setAttribute("aria-hidden", "true");
        box.style.cssText = "position:fixed;left:-100000px;top:0;width:1200px;visibility:hidden;pointer-events:none;";
        document.body.appendChild(box);
      }
      return box;
    }
    return {
      render: async function (job) {
        var t0 = performance.now();
        if (!window.mermaid) await load("/static/vendor/mermaid.min.js");
        if (job.config.layout === "elk") await load("/static/vendor/mermaid-elk.js");
        var id = "stator-mmd-" + job.id;
        try {
          window.mermaid.initialize(Object.assign({ startOnLoad: false }, job.config, { securityLevel: "strict", suppressErrorRendering: true }));
          var r = await window.mermaid.render(id, job.text, sandbox());
          return { svg: r.svg, ms: performance.now() - t0 };
        } catch (err) {
          return { error: String((err && (err.message || err.str)) || err), ms: performance.now() - t0 };
        } finally {
          var scratch = document.getElementById("d" + id);
          if (scratch) scratch.remove();
        }
      },
      warm: function () {},
      kill: function () {}
    };
  }

  function renderer(s) {
    if (!s.frame) s.frame = frameRenderer();
    return s.frame;
  }

  // ---- the pipeline ----

  function effectiveLayout(s, o) {
    return s.layout || "dagre";
  }

  // makeJob turns the container's wishes into the text to draw.
  function makeJob(container, s) {
    var o = outline(s.source);
    var layout = effectiveLayout(s, o);
    var collapsed = s.collapsed && s.collapsed.size ? s.collapsed : null;
    var reason = "", text = s.source, edges = null, near = null, level = "full";
    if (collapsed) {
      var c = collapseText(o, s.edges, collapsed, true);
      text = c.text;
      edges = c.edges;
      level = "collapsed";
    } else if (!s.expandAll && (s.overview || o.states > LARGE_STATES || o.edges > LARGE_EDGES)) {
      reason = s.overview ? "slow" : "large";
      // the overview: every compound state that is not inside another one
      // collapsed, edges merged and unlabelled; when that is still too big
      // (or was too slow), the neighbourhood of the active state
      var top = new Set(Object.keys(o.composite).filter(function (id) { return id.charAt(0) === "s" && !o.parent[id]; }));
      if (top.size && s.overview !== "neighbourhood") {
        var cc = collapseText(o, s.edges, top, false);
        if (cc.nodes <= OVERVIEW_NODES && cc.edges.length <= OVERVIEW_EDGES) {
          collapsed = top;
          text = cc.text;
          edges = cc.edges;
          level = "overview";
        }
      }
      if (level === "full") {
        var focus = new Set((s.opts.highlight || []).filter(function (id) { return o.label[id] !== undefined && !o.composite[id]; }));
        if (!focus.size && o.initial) focus.add(o.initial);
        near = neighbourhood(o, s.edges, focus, NEAR_CAP);
        near.focus = Array.from(focus).map(function (id) { return id.slice(2, -1); });
        text = near.text;
        edges = near.edges;
        level = "neighbourhood";
      }
    }
    if (level === "full") edges = s.edges ? s.edges.map(function (t) { return t >= 0 ? [t] : []; }) : null;
    var config = mermaidConfig(layout);
    var theme = themeName();
    return {
      id: ++seq,
      key: layout + "|" + theme + "|" + level + "|" + text,
      text: text, edges: edges, layout: layout, config: config, collapsed: collapsed, reason: reason, level: level, near: near,
      outline: o, full: level === "full", expandAll: s.expandAll, resolvers: []
    };
  }

  function render(container, source, opts) {
    var s = stateOf(container);
    opts = opts || {};
    s.source = String(source);
    s.edges = opts.edges || null;
    s.opts = { highlight: opts.highlight || [], counts: opts.counts || null };
    var machine = /accTitle: (.*)/.exec(s.source);
    machine = machine ? machine[1] : "";
    if (machine !== s.machine) {
      // another machine: forget the view choices of the last one
      if (s.machine !== null) { s.collapsed = null; s.expandAll = false; s.overview = false; }
      s.machine = machine;
    }
    return request(container, s);
  }

  function request(container, s) {
    var t0 = performance.now();
    var job = makeJob(container, s);
    s.stats.prepare = performance.now() - t0;
    s.want = job.key;
    return new Promise(function (resolve) {
      if (s.shown && s.shown.key === job.key) {
        // already drawn: re-mark it; a waiting request for another text is dropped
        var waiting = s.latest;
        s.latest = null;
        clearTimeout(s.timer);
        var svg = currentSVG(container);
        if (svg) mark(container, s, svg);
        // what is wanted is what is on screen: a failure since is past
        container.removeAttribute("data-error");
        container.classList.remove(STALE);
        busy(container, s, false);
        bump(container);
        if (waiting) waiting.resolvers.forEach(function (r) { r(true); });
        resolve(true);
        return;
      }
      if (s.latest) job.resolvers = s.latest.resolvers;
      if (s.inflight && s.inflight.key === job.key) {
        s.latest = null;
        s.inflight.resolvers = s.inflight.resolvers.concat(job.resolvers, [resolve]);
        return;
      }
      job.resolvers.push(resolve);
      s.latest = job;
      schedule(container, s);
    });
  }

  function schedule(container, s) {
    clearTimeout(s.timer);
    busy(container, s, true);
    // the pause grows with the last drawing's time: a text that draws in
    // under PAUSE_FREE ms waits only for the analysis' own debounce
    var pause = s.renders === 0 ? 0 : Math.min(MAX_PAUSE, Math.max(0, s.lastMs - PAUSE_FREE));
    if (s.inflight) {
      // wait for the running drawing, or abandon it once it has run RECYCLE_MS
      pause = Math.max(pause, RECYCLE_MS - (performance.now() - s.inflight.started));
    }
    s.timer = setTimeout(function () { kick(container, s); }, Math.max(0, pause));
  }

  function kick(container, s) {
    var job = s.latest;
    if (!job) return;
    if (s.inflight) {
      if (performance.now() - s.inflight.started < RECYCLE_MS) { schedule(container, s); return; }
      abandon(s);
    }
    start(container, s, job);
  }

  function abandon(s) {
    var old = s.inflight;
    s.inflight = null;
    if (old) clearTimeout(old.budget);
    if (s.frame) s.frame.kill();
    if (old && s.latest) s.latest.resolvers = s.latest.resolvers.concat(old.resolvers);
  }

  function start(container, s, job) {
    s.latest = null;
    s.inflight = job;
    job.started = performance.now();
    busy(container, s, true);
    var limit = (job.level === "full" && !job.expandAll) || job.level === "overview" ? BUDGET_MS : HARD_MS;
    job.budget = setTimeout(function () { overBudget(container, s, job); }, limit);
    var r = renderer(s);
    r.render(job).then(function (res) { finish(container, s, job, res); }, function (err) {
      if (s.inflight !== job) return; // abandoned
      if (!r.page) {
        // the frame could not start: draw in the page from now on
        s.frame = pageRenderer();
        s.frame.page = true;
        s.inflight = null;
        clearTimeout(job.budget);
        start(container, s, job);
        return;
      }
      finish(container, s, job, { error: String(err && err.message || err), ms: performance.now() - job.started });
    });
  }

  function overBudget(container, s, job) {
    if (s.inflight !== job) return;
    if ((job.level === "full" && !job.expandAll) || job.level === "overview") {
      // too slow: draw the overview instead, or the neighbourhood when the
      // overview was too slow
      s.overview = job.level === "full" ? "slow" : "neighbourhood";
      abandon(s);
      var resolvers = job.resolvers;
      request(container, s).then(function (ok) { resolvers.forEach(function (r) { r(ok); }); });
      return;
    }
    abandon(s);
    var secs = Math.round((performance.now() - job.started) / 1000);
    finish(container, s, job, { error: "The diagram took too long to draw (" + secs + " s) and was stopped.", ms: performance.now() - job.started }, true);
  }

  function finish(container, s, job, res, forced) {
    clearTimeout(job.budget);
    if (s.inflight !== job && !forced) return;
    s.inflight = null;
    if (res.ms) s.lastMs = res.ms;
    if (job.key !== s.want) {
      // a newer text came while this one was drawn: draw that instead (or
      // nothing, when the newer text is the one on screen)
      if (s.latest) {
        s.latest.resolvers = s.latest.resolvers.concat(job.resolvers);
        schedule(container, s);
      } else {
        busy(container, s, false);
        job.resolvers.forEach(function (r) { r(!!(s.shown && s.shown.key === s.want)); });
      }
      return;
    }
    var ok = false;
    var t0 = performance.now();
    s.stats.draw = res.ms || 0;
    if (res.error) {
      failed(container, s, readable(res.error));
    } else {
      try {
        show(container, s, job, res.svg);
        ok = true;
      } catch (err) {
        failed(container, s, "The diagram could not be shown: " + (err && err.message || err));
      }
    }
    s.stats.show = performance.now() - t0;
    s.renders++;
    busy(container, s, !!s.latest);
    bump(container);
    job.resolvers.forEach(function (r) { r(ok); });
    if (s.latest) schedule(container, s);
  }

  function readable(msg) {
    msg = String(msg || "").trim();
    if (/Maximum text size/i.test(msg)) return "The diagram text is larger than Mermaid accepts (" + msg + ").";
    if (/Too many edges|maxEdges|Edge limit/i.test(msg)) return "The diagram has more edges than Mermaid accepts (" + msg + ").";
    return msg.split("\n")[0].slice(0, 300) || "Mermaid could not draw this diagram.";
  }

  function failed(container, s, msg) {
    container.setAttribute("data-error", msg);
    container.classList.add(STALE);
    notice(container, s, null);
  }

  function busy(container, s, on) {
    container.classList.toggle(BUSY, !!on);
    var wrap = container.closest(".diagram-wrap");
    var el = wrap && wrap.querySelector(".diagram-busy");
    if (el) el.hidden = !on;
  }

  // ---- showing an SVG ----

  // sanitize drops what a diagram never needs and a page must never run.
  function sanitize(root) {
    root.querySelectorAll("script, iframe, object, embed, audio, video, link, meta, base, form").forEach(function (el) { el.remove(); });
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT);
    for (var el = root; el; el = walker.nextNode()) {
      for (var i = el.attributes.length - 1; i >= 0; i--) {
        var a = el.attributes[i];
        var n = a.name.toLowerCase();
        if (n.slice(0, 2) === "on" || ((n === "href" || n === "xlink:href" || n === "src") && !/^#/.test(a.value.trim()))) {
          el.removeAttribute(a.name);
        }
      }
    }
  }

  function show(container, s, job, svgText) {
    var tpl = document.createElement("template");
    tpl.innerHTML = svgText;
    var svg = tpl.content.querySelector("svg");
    if (!svg) throw new Error("Mermaid returned no SVG");
    if (/Syntax error in text|Maximum text size in diagram exceeded/.test(svg.textContent) && svg.querySelector(".error-icon, .error-text")) {
      throw new Error(svg.textContent.replace(/\s+/g, " ").trim().slice(0, 200));
    }
    sanitize(svg);
    // natural size: the view scales it
    var vb = (svg.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
    var w = vb.length === 4 && vb[2] > 0 ? vb[2] : parseFloat(svg.getAttribute("width")) || 300;
    var h = vb.length === 4 && vb[3] > 0 ? vb[3] : parseFloat(svg.getAttribute("height")) || 150;
    svg.setAttribute("width", String(w));
    svg.setAttribute("height", String(h));
    svg.style.maxWidth = "none";
    hooks(svg, job);
    mark(container, s, svg, true);
    var view = window.StatorDiagramView ? window.StatorDiagramView.get(container) : null;
    var target = view ? view.canvas : container;
    var first = !s.shown || s.shown.machine !== s.machine;
    target.replaceChildren(svg);
    if (view) {
      view.swapped(w, h);
      if (first || (!view.touched && view.mode !== "fit")) view.home(anchors(svg));
      else if (!view.touched) view.fit();
      view.onfollow = function () { follow(container, s); };
      view.anchors = function () { var cur = currentSVG(container); return cur ? anchors(cur) : []; };
    }
    separateLabels(svg);
    s.shown = { key: job.key, machine: s.machine, job: job };
    container.removeAttribute("data-error");
    container.classList.remove(STALE);
    if (job.level === "overview" || job.level === "neighbourhood") container.setAttribute("data-overview", job.level);
    else container.removeAttribute("data-overview");
    container.setAttribute("data-layout", job.layout);
    notice(container, s, job);
    syncLayoutSelect(container, job.layout);
    follow(container, s, true);
    // a new SVG: the page's own marks (canvas.js: the selection, the
    // simulation's available transitions) go on it
    container.dispatchEvent(new CustomEvent("stator:diagram-shown", { detail: { svg: svg } }));
  }

  // hooks puts data-state, data-region, data-transition and data-collapsed
  // on the SVG.
  function hooks(svg, job) {
    var nodes = nodeElements(svg, true);
    nodes.forEach(function (groups, id) {
      groups.forEach(function (g) {
        if (id.charAt(0) === "s") {
          g.setAttribute("data-state", id.slice(2, -1));
          if (job.collapsed && job.collapsed.has(id)) g.setAttribute("data-collapsed", "true");
          if (job.outline.composite[id]) g.setAttribute("data-compound", "true");
        } else {
          g.setAttribute("data-region", id);
        }
      });
    });
    if (!job.edges) return;
    var byEdge = {};
    svg.querySelectorAll("[data-id^='edge']").forEach(function (el) {
      var m = /^edge(\d+)$/.exec(el.getAttribute("data-id"));
      if (!m) return;
      (byEdge[m[1]] = byEdge[m[1]] || []).push(el);
    });
    Object.keys(byEdge).forEach(function (k) {
      var t = job.edges[+k];
      if (!t || !t.length) return;
      byEdge[k].forEach(function (el) {
        // the label's outer group, so that the whole label is the target
        var target = el.tagName.toLowerCase() === "g" && el.parentNode && el.parentNode.classList &&
          el.parentNode.classList.contains("edgeLabel") ? el.parentNode : el;
        target.setAttribute("data-transition", String(t[0]));
        if (t.length > 1) target.setAttribute("data-transitions", t.join(" "));
      });
    });
  }

  // nodeElements maps each node id to the SVG groups drawn for it (states
  // "s_..._", and with regions true also regions "r_..._").
  function nodeElements(svg, regions) {
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
      if (!/^s_[a-z0-9_]+_$/.test(id) && !(regions && /^r_[a-z0-9_]+_\d+_$/.test(id))) continue;
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

  // mark re-applies the highlight and the count badges.
  function mark(container, s, svg, fresh) {
    var opts = s.opts || {};
    if (!fresh) {
      svg.querySelectorAll("." + ACTIVE).forEach(function (el) { el.classList.remove(ACTIVE); });
      svg.querySelectorAll("g." + COUNT).forEach(function (el) { el.remove(); });
    }
    var nodes = nodeElements(svg);
    var collapsed = s.shown && s.shown.job && s.shown.job.collapsed;
    var o = collapsed ? s.shown.job.outline : null;
    (opts.highlight || []).forEach(function (id) {
      var list = nodes.get(String(id));
      if (!list && o) {
        // inside a collapsed compound: mark the compound
        for (var p = o.parent[id]; p; p = o.parent[p]) if (nodes.has(p) && collapsed.has(p)) list = nodes.get(p);
      }
      (list || []).forEach(function (g) { g.classList.add(ACTIVE); });
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
        var badge = document.createElementNS(NS, "g");
        badge.setAttribute("class", COUNT);
        badge.setAttribute("data-state", name);
        badge.setAttribute("transform", "translate(" + (b.x + b.w - 2) + "," + (b.y + 2) + ")");
        var circle = document.createElementNS(NS, "circle");
        circle.setAttribute("r", String(r));
        var label = document.createElementNS(NS, "text");
        label.setAttribute("text-anchor", "middle");
        label.setAttribute("dominant-baseline", "central");
        label.textContent = text;
        badge.appendChild(circle);
        badge.appendChild(label);
        g.appendChild(badge);
      });
    });
    if (!fresh) follow(container, s);
  }

  // anchors are what a first view centres on: the active states, else the
  // machine's start.
  function anchors(svg) {
    var active = innermostActive(svg);
    if (active.length) return active;
    var start = svg.querySelector("circle.state-start");
    return start ? [start] : [];
  }

  function innermostActive(svg) {
    return Array.prototype.filter.call(svg.querySelectorAll("g." + ACTIVE), function (g) {
      return !g.querySelector("g." + ACTIVE); // leaves, or collapsed compounds
    }).map(function (g) { return box(g) ? g.querySelector("rect") || g : g; });
  }

  // follow brings the active states into view when one is outside it.
  function follow(container, s) {
    var view = window.StatorDiagramView ? window.StatorDiagramView.get(container) : null;
    if (!view || !view.following) return;
    var svg = currentSVG(container);
    if (!svg) return;
    var active = innermostActive(svg);
    if (active.length) view.reveal(active);
  }

  // separateLabels moves an edge label off a composite's title or a state it
  // covers, along its edge (Mermaid places labels at the middle of the edge,
  // which for an edge leaving a composite is often on the composite's title).
  function separateLabels(svg) {
    var labels = svg.querySelectorAll("g.edgeLabel[transform]");
    if (!labels.length || labels.length > NUDGE_MAX) return;
    var obstacles = [];
    svg.querySelectorAll("g.cluster-label, .statediagram-cluster .cluster-label, g.node.statediagram-state > rect").forEach(function (el) {
      var b = el.getBoundingClientRect();
      if (b.width && b.height) obstacles.push(b);
    });
    if (!obstacles.length) return;
    var hits = function (r) {
      for (var i = 0; i < obstacles.length; i++) {
        var o = obstacles[i];
        if (r.left < o.right - 1 && r.right > o.left + 1 && r.top < o.bottom - 1 && r.bottom > o.top + 1) return true;
      }
      return false;
    };
    var ctm = svg.getScreenCTM();
    if (!ctm) return;
    var scale = ctm.a || 1;
    labels.forEach(function (g) {
      var inner = g.querySelector("g.label[data-id]");
      if (!inner) return;
      var r = g.getBoundingClientRect();
      if (!r.width || !hits(r)) return;
      var path = svg.querySelector("path[data-id='" + inner.getAttribute("data-id") + "']");
      if (!path || !path.getTotalLength) return;
      var len = path.getTotalLength();
      var m = /translate\(\s*([-\d.e]+)[ ,]+([-\d.e]+)\s*\)/.exec(g.getAttribute("transform"));
      if (!m || !len) return;
      var x0 = parseFloat(m[1]), y0 = parseFloat(m[2]);
      var tries = [0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.12, 0.88];
      for (var i = 0; i < tries.length; i++) {
        var p = path.getPointAtLength(len * tries[i]);
        var dx = (p.x - x0) * scale, dy = (p.y - y0) * scale;
        var moved = { left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy };
        if (!hits(moved)) {
          g.setAttribute("transform", "translate(" + p.x + ", " + p.y + ")");
          return;
        }
      }
    });
  }

  // ---- notices, collapsing, layout ----

  function notice(container, s, job) {
    var wrap = container.closest(".diagram-wrap");
    var el = wrap && wrap.querySelector(".diagram-notice");
    if (!el) return;
    if (!job || !job.reason) {
      el.hidden = true;
      el.replaceChildren();
      return;
    }
    var o = job.outline;
    var why = job.reason === "slow" ? "Drawing all " + o.states.toLocaleString("en") + " states took too long"
      : "Large machine (" + o.states.toLocaleString("en") + " states)";
    var what = job.level === "overview"
      ? ": overview with compound states collapsed (double-click one to open it)."
      : ": showing " + job.near.shown + " states around " + (job.near.focus.join(", ") || "the start") +
        (job.near.hidden ? " (" + job.near.hidden + " more neighbours left out)" : "") + "; it follows the active state.";
    var p = document.createElement("span");
    p.textContent = why + what;
    var b = document.createElement("button");
    b.type = "button";
    b.className = "diagram-expand-all";
    b.setAttribute("data-testid", "diagram-expand-all");
    b.textContent = "Draw everything";
    el.replaceChildren(p, b);
    el.hidden = false;
  }

  function collapse(container, name, on) {
    var s = stateOf(container);
    if (!s.source) return Promise.resolve(false);
    var id = "s_" + name + "_";
    var set = new Set(s.collapsed || (s.shown && s.shown.job.collapsed) || []);
    if (on === undefined) on = !set.has(id);
    if (on) set.add(id); else set.delete(id);
    s.collapsed = set;
    return request(container, s);
  }

  function setLayout(container, layout) {
    var s = stateOf(container);
    s.layout = layout === "elk" ? "elk" : "dagre";
    try { localStorage.setItem(LAYOUT_KEY, s.layout); } catch (e) { /* not kept */ }
    if (!s.source) return Promise.resolve(false);
    return request(container, s);
  }

  function syncLayoutSelect(container, layout) {
    var wrap = container.closest(".diagram-wrap");
    var sel = wrap && wrap.querySelector('[data-testid="diagram-layout"]');
    if (sel && sel.value !== layout) sel.value = layout;
  }

  // wire connects the toolbar, the notice and the SVG's double-clicks.
  function wire(container, s) {
    var wrap = container.closest(".diagram-wrap");
    if (wrap) {
      var sel = wrap.querySelector('[data-testid="diagram-layout"]');
      if (sel) sel.addEventListener("change", function () { setLayout(container, sel.value); });
      wrap.addEventListener("click", function (e) {
        if (e.target.closest(".diagram-expand-all")) {
          s.collapsed = new Set();
          s.expandAll = true;
          s.overview = false;
          request(container, s);
        }
      });
    }
    container.addEventListener("dblclick", function (e) {
      var g = e.target.closest && e.target.closest("g[data-state]");
      while (g && g.getAttribute("data-compound") !== "true") g = g.parentElement && g.parentElement.closest("g[data-state]");
      if (!g) return;
      e.preventDefault();
      collapse(container, g.getAttribute("data-state"));
    });
    // the theme changed: draw again in its colours
    new MutationObserver(function () {
      if (s.source) request(container, s);
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    if (window.matchMedia) {
      var mq = window.matchMedia("(prefers-color-scheme: dark)");
      if (mq.addEventListener) mq.addEventListener("change", function () { if (s.source) request(container, s); });
    }
  }

  // exported SVG: as Mermaid drew it, without the page's marks
  function svgText(container) {
    var svg = currentSVG(container);
    if (!svg) return "";
    var copy = svg.cloneNode(true);
    copy.querySelectorAll("g." + COUNT).forEach(function (el) { el.remove(); });
    copy.querySelectorAll("." + ACTIVE).forEach(function (el) { el.classList.remove(ACTIVE); });
    copy.style.removeProperty("max-width");
    return new XMLSerializer().serializeToString(copy);
  }

  // start the renderers now: loading Mermaid in a frame takes a moment
  document.querySelectorAll("[data-testid=diagram]").forEach(function (c) { renderer(stateOf(c)).warm(); });

  window.StatorDiagram = {
    render: render,
    decorate: function (container, opts) {
      var s = stateOf(container);
      s.opts = { highlight: (opts && opts.highlight) || [], counts: (opts && opts.counts) || null };
      var svg = currentSVG(container);
      if (svg) mark(container, s, svg);
    },
    svg: svgText,
    nodeElements: function (svg) { return nodeElements(svg); },
    setLayout: setLayout,
    layout: function (container) {
      var s = stateOf(container);
      return s.shown ? s.shown.job.layout : s.layout;
    },
    collapse: collapse,
    // stats: the last render's times in ms (prepare: the text to draw,
    // draw: in the renderer, show: putting the SVG in the page)
    stats: function (container) { return Object.assign({}, stateOf(container).stats); }
  };
})();
