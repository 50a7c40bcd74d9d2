// Stator's per-browser preferences, applied before the first paint: the
// layout loads this file in <head> without defer (a strict CSP allows no
// inline script, and a deferred one would paint the page light first).
//
// Theme: <html data-theme="light|dark">, from the choice stored by the
// header's toggle (data-testid theme-toggle), else the system's
// preference, which is followed while no choice is stored. A change
// dispatches "stator:theme" on document ({detail: {theme}}); scripts that
// draw in colour (the editor, the diagram) listen to it or observe the
// attribute. Choosing the system's own theme forgets the choice.
//
// Pane sizes: the workspace's split (split.js) is read here too, so that
// the panes do not jump after the page shows.
//
// API: window.StatorTheme = {get(), set("light"|"dark"), toggle()}.
(function () {
  "use strict";

  var root = document.documentElement;
  var THEME = "stator:theme";
  var SPLIT = "stator:split";
  var media = typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function read(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; } // storage may be off
  }
  function stored() {
    var v = read(THEME);
    return v === "light" || v === "dark" ? v : null;
  }
  function system() { return media && media.matches ? "dark" : "light"; }

  function label() {
    var dark = root.getAttribute("data-theme") === "dark";
    document.querySelectorAll("[data-testid=theme-toggle]").forEach(function (b) {
      b.setAttribute("aria-pressed", dark ? "true" : "false");
    });
  }
  function apply(theme) {
    if (root.getAttribute("data-theme") === theme) return;
    root.setAttribute("data-theme", theme);
    label();
    document.dispatchEvent(new CustomEvent("stator:theme", { detail: { theme: theme } }));
  }

  var api = window.StatorTheme = {
    get: function () { return root.getAttribute("data-theme"); },
    set: function (theme) {
      try {
        if (theme === system()) localStorage.removeItem(THEME);
        else localStorage.setItem(THEME, theme);
      } catch (e) { /* not remembered; still applied */ }
      apply(theme);
    },
    toggle: function () { api.set(api.get() === "dark" ? "light" : "dark"); }
  };

  apply(stored() || system());
  if (media) {
    var follow = function () { if (!stored()) apply(system()); };
    if (media.addEventListener) media.addEventListener("change", follow);
    else if (media.addListener) media.addListener(follow);
  }
  // another tab changed the choice
  window.addEventListener("storage", function (e) {
    if (e.key === THEME) apply(stored() || system());
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-testid=theme-toggle]")) api.toggle();
  });
  document.addEventListener("DOMContentLoaded", label);

  // pane sizes: percentages of the workspace's width (see split.js)
  try {
    var split = JSON.parse(read(SPLIT) || "null");
    if (split && typeof split === "object") {
      ["editor", "sim"].forEach(function (k) {
        var v = Number(split[k]);
        if (v > 0 && v < 100) root.style.setProperty("--split-" + k, v + "%");
      });
    }
  } catch (e) { /* a corrupt entry is ignored; split.js rewrites it */ }
})();
