// Small behaviours every page needs (loaded by the layout).
(function () {
  "use strict";

  // Drop-down menus (<details class="menu">: New machine, Export) close as a
  // menu should: on a click outside, on Escape, and when another one opens.
  // A bare <details> stays open over whatever is clicked next.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (e) {
    closeMenus(e.target.closest ? e.target.closest("details.menu") : null);
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    closeMenus(null);
    var s = open.querySelector("summary");
    if (s) s.focus();
  });

  // The simulator and the entity page redraw their panel while a person
  // types (a payload re-checks the guards). htmx moves the focus to the new
  // field with the same id and puts the caret back, except in a number field,
  // which has no selection API: Chrome leaves the caret at the start and the
  // next key lands before what was typed ("5", pause, "0" gave "05"). Put it
  // at the end, where it was while typing.
  var focused = null;
  document.addEventListener("htmx:beforeSwap", function () { focused = document.activeElement; });
  document.addEventListener("htmx:afterSettle", function () {
    var el = document.activeElement;
    if (!el || el === focused || el.tagName !== "INPUT" || el.type !== "number" || el.value === "") return;
    var v = el.value;
    el.value = "";
    el.value = v;
  });
})();
