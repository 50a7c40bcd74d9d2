// Registers the ELK layouts of @mermaid-js/layout-elk with the page's
// Mermaid (window.mermaid, from vendor/mermaid.min.js): after this script,
// a diagram rendered with `layout: "elk"` is laid out by elkjs.
import layouts from "@mermaid-js/layout-elk";

if (!window.mermaid) throw new Error("mermaid-elk.js needs vendor/mermaid.min.js loaded first");
window.mermaid.registerLayoutLoaders(layouts);
