// Stator entity page: draws the machine with the entity's current state
// highlighted, and redraws the highlight after every event (htmx swaps
// #entity-panel without reloading the page).
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("entity-page-data").textContent);
  var diagram = document.getElementById("diagram");

  function highlight() {
    var el = document.getElementById("entity-data");
    var d = el ? JSON.parse(el.textContent) : { highlight: [] };
    window.StatorDiagram.render(diagram, page.mermaid, { highlight: d.highlight, edges: page.mermaid_edges });
  }
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target && e.detail.target.id === "entity-panel") highlight();
  });
  if (document.readyState === "complete") highlight();
  else document.addEventListener("DOMContentLoaded", highlight);
})();
