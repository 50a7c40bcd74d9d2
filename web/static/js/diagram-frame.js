// Stator diagram renderer: runs inside render.html, a sandboxed iframe that
// diagram.js creates. It draws Mermaid text with the vendored Mermaid 11
// (and the ELK layouts of vendor/mermaid-elk.js, loaded the first time a
// diagram asks for them) and posts the SVG back to the page.
//
// Protocol (window.postMessage; the page checks that answers come from this
// frame, this frame only answers its parent):
//   page -> frame  {type: "render", id, source, config}   config: Mermaid's
//                   (layout, theme, themeVariables, limits, ...)
//   frame -> page  {type: "ready"} once, then per render
//                  {type: "done", id, svg, ms} or {type: "error", id, message, ms}
(function () {
  "use strict";

  var elk = null;

  function loadElk() {
    if (!elk) {
      elk = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = "/static/vendor/mermaid-elk.js";
        s.onload = resolve;
        s.onerror = function () { elk = null; reject(new Error("the ELK layout (vendor/mermaid-elk.js) could not be loaded")); };
        document.head.appendChild(s);
      });
    }
    return elk;
  }

  function message(err) {
    var m = (err && (err.message || err.str)) || String(err);
    return String(m).split("\n").slice(0, 6).join("\n").slice(0, 600);
  }

  async function render(msg) {
    var t0 = performance.now();
    var id = "stator-" + msg.id;
    try {
      if (!window.mermaid) throw new Error("Mermaid is not loaded (vendor/mermaid.min.js)");
      if (msg.config && msg.config.layout === "elk") await loadElk();
      window.mermaid.initialize(Object.assign({ startOnLoad: false }, msg.config || {},
        { securityLevel: "strict", suppressErrorRendering: true }));
      var result = await window.mermaid.render(id, msg.source);
      parent.postMessage({ type: "done", id: msg.id, svg: result.svg, ms: performance.now() - t0 }, "*");
    } catch (err) {
      parent.postMessage({ type: "error", id: msg.id, message: message(err), ms: performance.now() - t0 }, "*");
    } finally {
      // Mermaid leaves its scratch element behind when it fails
      var scratch = document.getElementById("d" + id);
      if (scratch) scratch.remove();
    }
  }

  // one render at a time, in the order asked
  var queue = Promise.resolve();
  window.addEventListener("message", function (e) {
    if (e.source !== parent || !e.data || e.data.type !== "render") return;
    var msg = e.data;
    queue = queue.then(function () { return render(msg); });
  });
  parent.postMessage({ type: "ready" }, "*");
})();
