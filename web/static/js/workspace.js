// Stator workspace: wires the CodeMirror editor (vendor/editor.js), the
// server's analysis (htmx swaps #analysis after every pause in typing), the
// diagram (diagram.js), saving, drafts kept in the browser until saved,
// sharing and export. The simulator (simulator.js) plugs in through
// window.StatorWorkspace.
(function () {
  "use strict";

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var data = JSON.parse($("#workspace-data").textContent);
  var mode = data.mode; // machine | share | draft
  var diagramEl = $("#diagram");
  var analyzeForm = $("#analyze-form");
  var src = $("#yaml-src");
  var status = $("#save-status");
  var savedText = data.yaml || "";
  var draftKey = mode === "machine" ? "stator:draft:" + data.machine_id : null;
  var ed = null;
  var analysis = null;
  var listeners = [];
  var highlight = [];
  var counts = null;

  var api = window.StatorWorkspace = {
    mode: mode,
    data: data,
    get editor() { return ed; },
    get analysis() { return analysis; },
    diagram: diagramEl,
    // onAnalysis registers fn(analysis), called after every validation.
    onAnalysis: function (fn) { listeners.push(fn); if (analysis) fn(analysis); },
    // setHighlight marks diagram nodes (ids from the server) and optional
    // per-state counts; it survives redraws.
    setHighlight: function (ids) { highlight = ids || []; redraw(); },
    redraw: function () { redraw(); },
    status: say,
    text: function () { return ed ? ed.getText() : savedText; }
  };

  function say(msg, ok) {
    status.innerHTML = "";
    var span = document.createElement("span");
    span.className = ok === false ? "error" : "ok";
    span.textContent = msg;
    status.appendChild(span);
  }

  // ---- drafts: unsaved text survives a reload ----
  function loadDraft() {
    if (!draftKey) return null;
    try {
      var d = JSON.parse(localStorage.getItem(draftKey) || "null");
      if (d && typeof d.text === "string" && d.text !== savedText) return d;
    } catch (e) { /* a corrupt draft is ignored */ }
    return null;
  }
  var draftTimer = null;
  function storeDraft(text) {
    if (!draftKey) return;
    clearTimeout(draftTimer);
    draftTimer = setTimeout(function () {
      try {
        if (text === savedText) localStorage.removeItem(draftKey);
        else localStorage.setItem(draftKey, JSON.stringify({ text: text, revision: data.revision, at: Date.now() }));
      } catch (e) { say("Your browser refused to keep the draft: " + e.message, false); }
    }, 150);
  }
  function markDirty() {
    var dirty = mode === "machine" && ed && ed.getText() !== savedText;
    $("#dirty").hidden = !dirty;
    document.title = (dirty ? "● " : "") + document.title.replace(/^● /, "");
  }

  // ---- analysis: problems, markers, diagram ----
  function applyAnalysis() {
    var el = document.getElementById("analysis-data");
    if (!el) return;
    analysis = JSON.parse(el.textContent);
    if (ed) ed.setProblems(analysis.problems || []);
    diagramEl.classList.toggle("invalid", !analysis.valid);
    if (analysis.valid) {
      if (analysis.name) $("#ws-name").textContent = analysis.name;
      if (analysis.version !== undefined && $("#ws-version")) $("#ws-version").textContent = "v" + analysis.version;
    }
    redraw();
    listeners.forEach(function (fn) { try { fn(analysis); } catch (e) { console.error(e); } });
  }
  // redraw draws the last valid analysis: with the Simulator tab, the
  // simulation's current state highlighted; with the Entities tab, the
  // entity counts alone (the simulation's state is not theirs).
  function redraw() {
    if (!analysis || !analysis.valid || !window.StatorDiagram) return;
    var entities = api.activeTab === "entities";
    window.StatorDiagram.render(diagramEl, analysis.mermaid, { highlight: entities ? [] : highlight, counts: counts || undefined, edges: analysis.mermaid_edges });
  }
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target && e.detail.target.id === "analysis") applyAnalysis();
  });
  $("#analysis").addEventListener("click", function (e) {
    var b = e.target.closest("button.goto");
    if (b && ed && !b.disabled) ed.gotoLine(+b.dataset.line, +b.dataset.column || 1);
  });

  function changed(text) {
    src.value = text;
    markDirty();
    storeDraft(text);
    htmx.trigger(analyzeForm, "edit");
  }

  // ---- saving ----
  var saving = null;
  function save() {
    if (mode !== "machine" || !ed) return;
    var form = $("#save-form");
    saving = ed.getText();
    form.querySelector("textarea").value = saving;
    say("Saving…");
    htmx.trigger(form, "save");
  }
  document.body.addEventListener("stator:saved", function (e) {
    if (saving !== null) savedText = saving;
    saving = null;
    data.revision = e.detail.revision;
    if ($("#ws-rev")) $("#ws-rev").textContent = "rev " + e.detail.revision;
    if (draftKey) { try { if (ed.getText() === savedText) localStorage.removeItem(draftKey); else storeDraft(ed.getText()); } catch (x) { /* ignore */ } }
    markDirty();
  });
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      save();
    }
  });
  if ($("#save")) $("#save").addEventListener("click", save);

  // ---- fork: the current text, not only the saved one ----
  var forkForm = $("#fork-form");
  if (forkForm) forkForm.addEventListener("submit", function () { $("#fork-yaml").value = api.text(); });

  // ---- sharing ----
  function toBase64url(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function fromBase64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    var bin = atob(s + "===".slice((s.length + 3) % 4));
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  async function pipe(bytes, stream) {
    var res = new Response(new Blob([bytes]).stream().pipeThrough(stream));
    return new Uint8Array(await res.arrayBuffer());
  }
  // draftLink carries the text (and the simulation) compressed in the
  // fragment, which browsers never send to the server.
  async function draftLink(payload) {
    var packed = await pipe(new TextEncoder().encode(JSON.stringify(payload)), new CompressionStream("deflate-raw"));
    return location.origin + "/draft#z=" + toBase64url(packed);
  }
  async function readDraftLink() {
    var m = /^#z=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (!m) throw new Error("This draft link carries no machine: it should end in #z= followed by the compressed text.");
    var raw = await pipe(fromBase64url(m[1]), new DecompressionStream("deflate-raw"));
    return JSON.parse(new TextDecoder().decode(raw));
  }
  api.draftLink = draftLink;
  var shareBtn = $("#share");
  var panel = $("#share-panel");
  if (shareBtn) shareBtn.addEventListener("click", function () {
    var form = $("#share-form");
    var trace = api.trace ? api.trace() : null;
    form.querySelector("[name=yaml]").value = api.text();
    form.querySelector("[name=trace]").value = trace ? JSON.stringify(trace) : "";
    shareBtn.setAttribute("aria-expanded", "true");
    panel.hidden = false;
    panel.innerHTML = "<p class=\"muted\">Creating the link…</p>";
    htmx.trigger(form, "share");
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (!e.detail.target || e.detail.target.id !== "share-panel") return;
    var d = $("#draft-url");
    if (d) draftLink({ yaml: api.text(), trace: api.trace ? api.trace() : null }).then(function (u) { d.value = u; });
  });
  panel.addEventListener("click", function (e) {
    var copy = e.target.closest("[data-copy]");
    if (copy) {
      var input = $(copy.dataset.copy);
      input.select();
      (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject())
        .then(function () { copy.textContent = "Copied"; }, function () { document.execCommand("copy"); copy.textContent = "Copied"; });
    }
    if (e.target.closest(".close-share")) { panel.hidden = true; if (shareBtn) shareBtn.setAttribute("aria-expanded", "false"); }
  });

  // ---- export ----
  function download(name, blob) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  document.querySelector(".export-menu").addEventListener("click", async function (e) {
    var b = e.target.closest("[data-export]");
    if (!b) return;
    e.currentTarget.removeAttribute("open");
    var fmt = b.dataset.export;
    var name = (analysis && analysis.name ? analysis.name : "machine").replace(/[^A-Za-z0-9_.-]/g, "_");
    if (fmt === "svg") {
      var svg = window.StatorDiagram.svg(diagramEl);
      if (!svg) { say("There is no diagram to export yet: fix the errors first.", false); return; }
      download(name + ".svg", new Blob([svg], { type: "image/svg+xml" }));
      return;
    }
    var body = new FormData();
    body.set("yaml", api.text());
    body.set("format", fmt);
    var res = await fetch("/workspace/export", { method: "POST", body: body });
    if (!res.ok) {
      var msg = "Export failed";
      try { msg = (await res.json()).detail || msg; } catch (x) { /* not JSON */ }
      say("Export failed: " + msg, false);
      return;
    }
    var cd = res.headers.get("Content-Disposition") || "";
    var fn = /filename="([^"]+)"/.exec(cd);
    download(fn ? fn[1] : name + "." + fmt, await res.blob());
  });

  // ---- tabs: the simulator or the saved machine's entities ----
  var tabs = document.querySelectorAll("[role=tab]");
  var entityCounts = null;
  function showTab(which) {
    tabs.forEach(function (t) {
      var on = t.getAttribute("aria-controls") === which;
      t.setAttribute("aria-selected", on ? "true" : "false");
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    api.activeTab = which;
    counts = which === "entities" ? entityCounts : null;
    redraw();
  }
  tabs.forEach(function (t) {
    t.addEventListener("click", function () { showTab(t.getAttribute("aria-controls")); });
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (!e.detail.target || e.detail.target.id !== "entities") return;
    var el = document.getElementById("entities-data");
    if (!el) return;
    entityCounts = JSON.parse(el.textContent).counts || {};
    if (api.activeTab === "entities") { counts = entityCounts; redraw(); }
  });
  api.activeTab = "simulator";

  // ---- start ----
  async function start() {
    var text = savedText;
    var restored = false;
    if (mode === "draft") {
      try {
        var d = await readDraftLink();
        text = d.yaml || "";
        data.trace = d.trace || null;
        $("#fork-yaml").value = text;
      } catch (e) {
        say(e.message, false);
        text = "";
      }
    }
    var draft = loadDraft();
    if (draft) { text = draft.text; restored = true; }
    ed = window.StatorEditor.create($("#editor"), {
      doc: text, readOnly: mode !== "machine", lineWrapping: true, onChange: changed, onSave: save
    });
    window.statorEditor = {
      getText: function () { return ed.getText(); },
      setText: function (t) { ed.setText(t); }
    };
    src.value = text;
    markDirty();
    if (restored) say("Restored your unsaved changes from this browser. Save to keep them, or undo them.", true);
    if (text !== savedText || mode === "draft") htmx.trigger(analyzeForm, "edit");
    else applyAnalysis();
    api.ready = true;
    document.dispatchEvent(new CustomEvent("stator:workspace-ready"));
  }
  // Deferred scripts run before DOMContentLoaded, when htmx has not yet
  // processed the page; start after it (htmx registered its listener first).
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
