// Revisions in the workspace (SPEC 7.1): the revisions panel (list, compare
// with the head and its diagram coloured by change, restore), the conflict
// dialog of a save on a moved head, and the text kept from "reload theirs".
(function () {
  "use strict";
  var $ = function (s, root) { return (root || document).querySelector(s); };
  var dataEl = document.getElementById("workspace-data");
  if (!dataEl) return;
  var data = JSON.parse(dataEl.textContent);
  var mineKey = data.machine_id ? "stator:mine:" + data.machine_id : null;

  // ---- the panel ----
  var btn = $("#revisions"), panel = $("#revisions-panel");
  if (btn && panel) {
    btn.addEventListener("click", function () {
      var open = panel.hidden;
      panel.hidden = !open;
      btn.setAttribute("aria-expanded", String(open));
      if (!open) panel.innerHTML = "";
      else panel.innerHTML = "<p class=\"muted\">Loading the revisions…</p>";
    });
    panel.addEventListener("click", function (e) {
      if (e.target.closest("[data-close-panel]")) {
        panel.hidden = true;
        btn.setAttribute("aria-expanded", "false");
      }
    });
  }

  // colourByChange marks the compared revision's states by change.
  function colourByChange(root, cmp) {
    var svg = root.querySelector("svg");
    if (!svg) return;
    var mark = function (names, cls) {
      names.forEach(function (n) {
        var nodes = svg.querySelectorAll("[data-state=\"" + CSS.escape(n) + "\"]");
        if (!nodes.length && window.StatorDiagram && StatorDiagram.nodeElements) {
          var groups = StatorDiagram.nodeElements(svg).get("s_" + n + "_");
          nodes = groups || [];
        }
        Array.prototype.forEach.call(nodes, function (g) { g.classList.add(cls); });
      });
    };
    mark(cmp.added, "change-added");
    mark(cmp.changed, "change-changed");
  }

  document.body.addEventListener("htmx:afterSettle", function (e) {
    var target = e.detail.target;
    if (!target) return;
    // a comparison arrived: draw the later revision, coloured by change
    if (target.id === "compare-result") {
      var el = document.getElementById("compare-data");
      var diagram = document.getElementById("compare-diagram");
      if (!el || !diagram || !window.StatorDiagram) return;
      var cmp = JSON.parse(el.textContent);
      Promise.resolve(StatorDiagram.render(diagram, cmp.mermaid, {})).then(function () { colourByChange(diagram, cmp); });
    }
    // a save found the head moved: ask what to do
    if (target.id === "save-status") {
      var dlg = $("[data-testid=conflict-dialog]", target);
      if (dlg && !dlg.open) {
        document.querySelectorAll("body > dialog.conflict-dialog").forEach(function (old) { old.remove(); });
        document.body.appendChild(dlg); // out of the status line, whose text changes
        dlg.showModal();
      }
    }
  });

  document.body.addEventListener("click", function (e) {
    var b = e.target.closest("[data-conflict]");
    if (!b) return;
    var dlg = b.closest("dialog");
    var ws = window.StatorWorkspace;
    switch (b.dataset.conflict) {
      case "keep":
        dlg.close();
        dlg.remove();
        break;
      case "overwrite":
        $("#save-base").value = dlg.dataset.head;
        dlg.close();
        dlg.remove();
        if (ws && ws.save) ws.save();
        break;
      case "reload":
        try { if (mineKey && ws) localStorage.setItem(mineKey, JSON.stringify({ text: ws.text(), at: Date.now() })); } catch (x) { /* ignore */ }
        if (ws && ws.forgetDraft) ws.forgetDraft();
        location.reload();
        break;
    }
  });

  // a save moves the base revision of the next one
  document.body.addEventListener("stator:saved", function (e) {
    var base = $("#save-base");
    if (base) base.value = String(e.detail.revision);
  });

  // ---- "reload theirs": the text kept to copy from ----
  function offerMine() {
    if (!mineKey) return;
    var kept;
    try { kept = JSON.parse(localStorage.getItem(mineKey) || "null"); } catch (x) { kept = null; }
    if (!kept || typeof kept.text !== "string") return;
    var bar = document.createElement("div");
    bar.className = "flash kept-text";
    bar.setAttribute("role", "status");
    bar.dataset.testid = "kept-text";
    bar.innerHTML = "Your version from before the reload is kept in this browser. " +
      "<button type=\"button\" data-kept=\"show\">Show my version</button> <button type=\"button\" data-kept=\"forget\">Forget it</button>";
    var ws = document.getElementById("workspace");
    ws.insertBefore(bar, ws.children[1] || null);
    bar.addEventListener("click", function (e) {
      var k = e.target.closest("[data-kept]");
      if (!k) return;
      if (k.dataset.kept === "forget") {
        try { localStorage.removeItem(mineKey); } catch (x) { /* ignore */ }
        bar.remove();
        return;
      }
      var dlg = document.createElement("dialog");
      dlg.className = "kept-dialog";
      dlg.dataset.testid = "kept-dialog";
      var h = document.createElement("h2");
      h.textContent = "Your version";
      var ta = document.createElement("textarea");
      ta.readOnly = true;
      ta.value = kept.text;
      ta.rows = 20;
      ta.setAttribute("aria-label", "Your version of the machine text");
      var close = document.createElement("button");
      close.type = "button";
      close.textContent = "Close";
      close.addEventListener("click", function () { dlg.close(); dlg.remove(); });
      dlg.append(h, ta, close);
      document.body.appendChild(dlg);
      dlg.showModal();
      ta.select();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", offerMine);
  else offerMine();
})();
