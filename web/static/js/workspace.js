// Stator workspace: wires the CodeMirror editor (vendor/editor.js), the
// server's analysis (htmx swaps #analysis after every pause in typing), the
// diagram (diagram.js), saving, drafts kept in the browser until saved,
// sharing and export. The simulator (simulator.js) plugs in through
// window.StatorWorkspace.
(function () {
  "use strict";

  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var data = JSON.parse($("#workspace-data").textContent);
  var mode = data.mode; // machine | new | share | draft
  var editable = mode === "machine" || mode === "new";
  var diagramEl = $("#diagram");
  var analyzeForm = $("#analyze-form");
  var src = $("#yaml-src");
  var status = $("#save-status");
  // savedText is what Save stored last; for a new workspace, the template's
  // text (nothing is stored yet).
  var savedText = data.yaml || "";
  var draftKey = mode === "machine" ? "stator:draft:" + data.machine_id
    : mode === "new" ? "stator:draft:new:" + (data.template || "blank") : null;
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
    status.title = msg; // the bar shows one line; the whole message on hover
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
  // markDirty shows whether there is anything to save (a new workspace
  // always has: nothing is stored yet) and offers to discard the changes.
  function markDirty() {
    var changed = editable && ed && ed.getText() !== savedText;
    var dirty = changed || mode === "new";
    $("#dirty").hidden = !dirty;
    if ($("#discard-draft")) $("#discard-draft").hidden = !changed;
    setTitle(dirty);
  }
  // setTitle keeps the tab's title on the machine's current name (it follows
  // meta.machine_name as it is typed) with a dot while there is something to save.
  var titleName = document.title.replace(/^● /, "").replace(/ · Stator$/, "");
  function setTitle(dirty) {
    if (analysis && analysis.valid && analysis.name) titleName = analysis.name;
    document.title = (dirty ? "● " : "") + titleName + " · Stator";
  }

  // ---- analysis: problems, markers, diagram ----
  // applyAnalysis applies the analysis in #analysis-data. With diagramOnly
  // (a restored draft, before its own analysis arrives) it only draws the
  // saved text's diagram: its problems are not the draft's.
  function applyAnalysis(diagramOnly) {
    var el = document.getElementById("analysis-data");
    if (!el) return;
    var a = JSON.parse(el.textContent);
    if (diagramOnly && !a.valid) return;
    analysis = a;
    if (!diagramOnly) {
      if (ed) ed.setProblems(analysis.problems || []);
      diagramEl.classList.toggle("invalid", !analysis.valid);
      // a valid text drawn before (even if its drawing is still on the way)
      // stays on screen, dimmed; only with none is there "no diagram yet"
      diagramEl.classList.toggle("no-diagram", !analysis.valid && !drewValid);
    }
    if (analysis.valid) {
      diagramEl.classList.remove("no-diagram");
      if (analysis.name) $("#ws-name").textContent = analysis.name;
      if (analysis.version !== undefined && $("#ws-version")) $("#ws-version").textContent = "v" + analysis.version;
    }
    markDirty();
    redraw();
    if (diagramOnly) return;
    listeners.forEach(function (fn) { try { fn(analysis); } catch (e) { console.error(e); } });
  }
  // redraw draws the last valid analysis: with the Simulator tab, the
  // simulation's current state highlighted; with the Entities tab, the
  // entity counts alone (the simulation's state is not theirs).
  var drewValid = false;
  function redraw() {
    if (!analysis || !analysis.valid || !window.StatorDiagram) return;
    drewValid = true;
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
    if (!editable || !ed) return;
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
  // the first save of a new workspace stored it: open it where it now lives
  // (replacing /new in the history, so that Back does not offer it again)
  document.body.addEventListener("stator:created", function (e) {
    clearTimeout(draftTimer);
    try { localStorage.removeItem(draftKey); } catch (x) { /* ignore */ }
    savedText = saving !== null ? saving : savedText;
    saving = null;
    location.replace(e.detail.url);
  });

  // forgetDraft drops the text kept for a reload (the conflict dialog's
  // "reload theirs" keeps it elsewhere first)
  api.forgetDraft = function () {
    clearTimeout(draftTimer);
    try { if (draftKey) localStorage.removeItem(draftKey); } catch (x) { /* ignore */ }
  };
  api.save = save;

  // ---- discard: back to the saved text, as one undoable edit ----
  if ($("#discard-draft")) $("#discard-draft").addEventListener("click", function () {
    if (!ed) return;
    ed.setText(savedText);
    clearTimeout(draftTimer);
    try { localStorage.removeItem(draftKey); } catch (x) { /* ignore */ }
    markDirty();
    say(mode === "new" ? "Back to the template's text." : "Back to the saved text (Ctrl+Z in the editor brings the changes back).", true);
  });

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
  // maxDraftBytes bounds what a draft link may inflate to (SPEC 11: 1 MiB),
  // so that a crafted link cannot make the tab inflate gigabytes.
  var maxDraftBytes = 1 << 20;
  var damaged = "This draft link is damaged (it was cut short or changed on the way): ";
  async function inflateBounded(bytes) {
    var reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw")).getReader();
    var chunks = [], size = 0;
    for (;;) {
      var r = await reader.read();
      if (r.done) break;
      size += r.value.length;
      if (size > maxDraftBytes) {
        reader.cancel();
        throw new Error("This draft link holds more than 1 MiB of text, the most a draft link may carry; ask for a share link (/s/…) instead.");
      }
      chunks.push(r.value);
    }
    var out = new Uint8Array(size), at = 0;
    chunks.forEach(function (c) { out.set(c, at); at += c.length; });
    return out;
  }
  async function readDraftLink() {
    var m = /^#z=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (!m) throw new Error("This draft link carries no machine: it should end in #z= followed by the compressed text.");
    var packed, raw, d;
    try { packed = fromBase64url(m[1]); } catch (e) { throw new Error(damaged + "its text is not base64url."); }
    try { raw = await inflateBounded(packed); } catch (e) {
      if (/1 MiB/.test(e.message)) throw e;
      throw new Error(damaged + "it does not decompress.");
    }
    try { d = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw)); } catch (e) { throw new Error(damaged + "it does not hold a machine."); }
    if (!d || typeof d.yaml !== "string") throw new Error(damaged + "it does not hold a machine.");
    return d;
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
        // nothing to fork: the button would make a blank machine
        var fb = forkForm && forkForm.querySelector("button");
        if (fb) { fb.disabled = true; fb.title = "This draft link holds no machine to fork."; }
      }
    }
    var draft = loadDraft();
    if (draft) { text = draft.text; restored = true; }
    ed = window.StatorEditor.create($("#editor"), {
      doc: text, readOnly: mode !== "machine", lineWrapping: true, onChange: changed, onSave: save
    });
    window.statorEditor = {
      getText: function () { return ed.getText(); },
      setText: function (t) { ed.setText(t); },
      // {from: {line, col}, to: {line, col}}, 1-based (SPEC 7.1's hooks)
      getSelection: function () { return ed.getSelection(); },
      setCursor: function (line, col) { ed.setCursor(line, col); }
    };
    src.value = text;
    markDirty();
    if (restored) say("Restored your unsaved changes from this browser. Save to keep them, or discard them.", true);
    if (text !== savedText || mode === "draft") {
      // meanwhile, the saved text's diagram (the page's own analysis)
      if (mode !== "draft") applyAnalysis(true);
      htmx.trigger(analyzeForm, "edit");
    } else applyAnalysis();
    api.ready = true;
    document.dispatchEvent(new CustomEvent("stator:workspace-ready"));
  }
  // Deferred scripts run before DOMContentLoaded, when htmx has not yet
  // processed the page; start after it (htmx registered its listener first).
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
