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
  // A form that htmx drives (hx-post, hx-get, ...) must never submit the
  // browser's way: that is a page load that leaves the workspace. htmx
  // cancels the submission of a form it has wired, but a form swapped in
  // a moment ago is wired only when the swap settles; a click on one of its
  // buttons in between went through natively. This listener runs after
  // htmx's own (it is on the document, in the bubbling phase): whatever htmx
  // did not take is cancelled, and, once htmx has wired the form, clicked
  // again (so that htmx sees which button it was) or submitted again.
  var HTMX_FORM = "[hx-post], [hx-get], [hx-put], [hx-patch], [hx-delete], [data-hx-post], [data-hx-get], [data-hx-put], [data-hx-patch], [data-hx-delete]";
  var retried = new WeakSet();
  function htmxBusy() {
    return !!document.querySelector(".htmx-swapping, .htmx-settling, .htmx-added");
  }
  function whenSettled(fn) {
    if (!htmxBusy()) { setTimeout(fn, 0); return; }
    var done = false;
    function go() {
      if (done || htmxBusy()) return;
      done = true;
      document.removeEventListener("htmx:afterSettle", go);
      fn();
    }
    document.addEventListener("htmx:afterSettle", go);
    setTimeout(function () { if (!done) { done = true; document.removeEventListener("htmx:afterSettle", go); fn(); } }, 1000);
  }
  function submitsOnSubmit(form) {
    var t = form.getAttribute("hx-trigger") || form.getAttribute("data-hx-trigger");
    return !t || /(^|[\s,])submit\b/.test(t);
  }
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (e.defaultPrevented || !(form instanceof HTMLFormElement) || !form.matches(HTMX_FORM)) return;
    e.preventDefault();
    if (!window.htmx || !submitsOnSubmit(form) || retried.has(form)) return;
    retried.add(form);
    var button = e.submitter && e.submitter !== form ? e.submitter : null;
    whenSettled(function () {
      if (!form.isConnected) return; // it was replaced: the click was on what is gone
      window.htmx.process(form);
      if (button && button.isConnected && !button.disabled) button.click();
      else form.requestSubmit();
      retried.delete(form);
    });
  });

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
