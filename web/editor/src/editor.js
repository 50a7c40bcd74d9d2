// Stator's YAML editor: a small CodeMirror 6 setup bundled by esbuild into
// web/static/vendor/editor.js (an IIFE that defines window.StatorEditor).
// Rebuild with `make assets` from the repository root.

import { Compartment, EditorSelection, EditorState, Prec, Transaction } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentLess, indentMore, isolateHistory } from "@codemirror/commands";
import {
  HighlightStyle,
  bracketMatching,
  foldGutter,
  foldKeymap,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint";
import { yaml } from "@codemirror/lang-yaml";
import { tags as t } from "@lezer/highlight";
import { assist, setNamesEffect } from "./assist.js";
import { textChanges } from "./diff.js";
import { findState, findTransition, locate } from "./machine-text.js";

const INDENT = "  "; // YAML forbids tabs: Tab always inserts or indents with spaces.
const CURSOR_MS = 60; // the diagram follows the cursor after this pause

// Colours are CSS custom properties on .cm-editor, so a page can restyle the
// editor without rebuilding: e.g. `.cm-editor { --se-bg: #fafafa }`.
const colours = EditorView.baseTheme({
  "&light": {
    "--se-bg": "#ffffff",
    "--se-fg": "#1f2328",
    "--se-gutter-bg": "#f6f8fa",
    "--se-gutter-fg": "#6e7781",
    "--se-active-line": "#f0f4fa",
    "--se-selection": "#cfe1fb",
    "--se-cursor": "#1f2328",
    "--se-bracket": "#b9e3c3",
    "--se-key": "#0550ae",
    "--se-string": "#116329",
    "--se-number": "#953800",
    "--se-atom": "#8250df",
    "--se-comment": "#6e7781",
    "--se-punct": "#57606a",
    "--se-meta": "#cf222e",
  },
  "&dark": {
    "--se-bg": "#0d1117",
    "--se-fg": "#e6edf3",
    "--se-gutter-bg": "#161b22",
    "--se-gutter-fg": "#8b949e",
    "--se-active-line": "#1c2330",
    "--se-selection": "#264f78",
    "--se-cursor": "#e6edf3",
    "--se-bracket": "#2f5f3a",
    "--se-key": "#79c0ff",
    "--se-string": "#7ee787",
    "--se-number": "#ffa657",
    "--se-atom": "#d2a8ff",
    "--se-comment": "#8b949e",
    "--se-punct": "#8b949e",
    "--se-meta": "#ff7b72",
  },
});

const layout = EditorView.theme({
  "&": {
    height: "100%",
    minHeight: "8em",
    fontSize: "13px",
    color: "var(--se-fg)",
    backgroundColor: "var(--se-bg)",
  },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": {
    fontFamily:
      'ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace',
    lineHeight: "1.5",
    overflow: "auto",
  },
  ".cm-content": { caretColor: "var(--se-cursor)", padding: "4px 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--se-cursor)" },
  ".cm-gutters": {
    backgroundColor: "var(--se-gutter-bg)",
    color: "var(--se-gutter-fg)",
    borderRight: "1px solid color-mix(in srgb, var(--se-gutter-fg) 25%, transparent)",
  },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 4px 0 6px", minWidth: "2.5ch" },
  ".cm-activeLine": { backgroundColor: "var(--se-active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--se-active-line)", color: "var(--se-fg)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection":
    { backgroundColor: "var(--se-selection) !important" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--se-bracket)", outline: "none" },
  ".cm-panels": { backgroundColor: "var(--se-gutter-bg)", color: "var(--se-fg)" },
  // The search panel wraps instead of overflowing in a phone-width container.
  ".cm-panel.cm-search": { display: "flex", flexWrap: "wrap", alignItems: "center", gap: "2px 4px" },
  ".cm-panel.cm-search input, .cm-panel.cm-search button": { fontSize: "12px" },
  ".cm-tooltip": { maxWidth: "min(32em, 90vw)" },
});

const yamlHighlight = HighlightStyle.define([
  { tag: [t.definition(t.propertyName), t.propertyName], color: "var(--se-key)" },
  { tag: [t.string, t.special(t.string), t.content], color: "var(--se-string)" },
  { tag: [t.number, t.integer, t.float], color: "var(--se-number)" },
  { tag: [t.bool, t.null, t.atom, t.keyword], color: "var(--se-atom)" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--se-comment)", fontStyle: "italic" },
  { tag: [t.punctuation, t.separator, t.squareBracket, t.brace], color: "var(--se-punct)" },
  { tag: [t.meta, t.labelName, t.typeName, t.processingInstruction], color: "var(--se-meta)" },
  { tag: t.invalid, color: "var(--se-meta)", textDecoration: "underline" },
]);

// Tab: with no selection, insert spaces up to the next indent stop; with a
// selection, indent the selected lines. Shift-Tab dedents.
function insertIndent(view) {
  if (view.state.readOnly) return false;
  if (view.state.selection.ranges.some((r) => !r.empty)) return indentMore(view);
  view.dispatch(
    view.state.changeByRange((range) => {
      const line = view.state.doc.lineAt(range.head);
      const col = range.head - line.from;
      const spaces = INDENT.length - (col % INDENT.length);
      return {
        changes: { from: range.head, insert: " ".repeat(spaces) },
        range: EditorSelection.cursor(range.head + spaces),
      };
    }),
    { scrollIntoView: true, userEvent: "input.indent" },
  );
  return true;
}

function clamp(n, lo, hi) {
  return Math.min(Math.max(n, lo), hi);
}

function toInt(v, fallback) {
  const n = Math.trunc(Number(v));
  return Number.isFinite(n) ? n : fallback;
}

// position turns a 1-based line and column into a document offset, clamped
// to the document (column past the end of the line → end of the line).
function position(doc, line, column) {
  const l = doc.line(clamp(toInt(line, 1), 1, doc.lines));
  const col = clamp(toInt(column, 1), 1, l.length + 1);
  return { line: l, pos: l.from + col - 1 };
}

const SEVERITIES = new Set(["error", "warning", "info", "hint"]);

// toDiagnostic maps a server problem to a lint diagnostic. The underline covers
// the word at the column; without a usable column, the line's text.
function toDiagnostic(doc, p) {
  const hasColumn = p && p.column != null && toInt(p.column, 0) >= 1;
  const { line, pos } = position(doc, p && p.line, hasColumn ? p.column : 1);
  const text = line.text;
  const firstNonSpace = text.length - text.trimStart().length;
  const lastNonSpace = text.trimEnd().length;
  let from = pos;
  let to = pos;
  if (hasColumn) {
    let i = pos - line.from;
    while (i < text.length && /\s/.test(text[i])) i++;
    let j = i;
    while (j < text.length && !/\s/.test(text[j])) j++;
    if (j > i) {
      from = line.from + i;
      to = line.from + j;
    }
  }
  if (to === from && lastNonSpace > firstNonSpace) {
    from = line.from + firstNonSpace;
    to = line.from + lastNonSpace;
  }
  const severity = SEVERITIES.has(p && p.severity) ? p.severity : "error";
  const d = { from, to, severity, message: String((p && p.message) || (p && p.code) || severity) };
  if (p && p.code) d.source = String(p.code);
  return d;
}

function prefersDark() {
  return typeof window.matchMedia === "function" && window.matchMedia("(prefers-color-scheme: dark)").matches;
}

// pageIsDark follows the page's theme, <html data-theme="light|dark"> (the
// page's toggle sets it), and the system's preference when it is not set.
function pageIsDark() {
  const theme = document.documentElement.getAttribute("data-theme");
  if (theme === "dark" || theme === "light") return theme === "dark";
  return prefersDark();
}

/**
 * create mounts an editor in parent and returns its handle.
 * options: {doc, readOnly, lineWrapping, onChange(text), onSave()}.
 */
function create(parent, options = {}) {
  if (!parent || typeof parent.appendChild !== "function") {
    throw new TypeError("StatorEditor.create: parent must be a DOM element");
  }
  const onChange = typeof options.onChange === "function" ? options.onChange : null;
  const onSave = typeof options.onSave === "function" ? options.onSave : null;
  const readOnly = new Compartment();
  const wrapping = new Compartment();
  // cursorListeners hear what the cursor is on ({states, transition}, see
  // machine-text.js locate) after it moved or the text changed, at most once
  // per CURSOR_MS and only when the answer changed.
  const cursorListeners = [];
  let cursorTimer = null;
  let lastAt = "";
  const cursorMoved = () => {
    clearTimeout(cursorTimer);
    cursorTimer = setTimeout(() => {
      const at = locate(view.state, view.state.selection.main.head);
      const key = JSON.stringify(at);
      if (key === lastAt) return;
      lastAt = key;
      cursorListeners.forEach((fn) => fn(at));
    }, CURSOR_MS);
  };
  const dark = new Compartment();

  const state = EditorState.create({
    doc: options.doc == null ? "" : String(options.doc),
    extensions: [
      Prec.highest(
        keymap.of([
          {
            key: "Mod-s",
            preventDefault: true, // never the browser's "save page" dialog
            run: () => {
              if (onSave) onSave();
              return true;
            },
          },
        ]),
      ),
      lineNumbers(),
      foldGutter(),
      lintGutter(),
      highlightActiveLineGutter(),
      highlightSpecialChars(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      highlightSelectionMatches(),
      search({ top: true }),
      EditorState.tabSize.of(INDENT.length),
      indentUnit.of(INDENT),
      yaml(),
      assist(),
      syntaxHighlighting(yamlHighlight),
      colours,
      layout,
      dark.of(EditorView.darkTheme.of(pageIsDark())),
      readOnly.of(EditorState.readOnly.of(!!options.readOnly)),
      wrapping.of(options.lineWrapping ? EditorView.lineWrapping : []),
      keymap.of([
        { key: "Tab", run: insertIndent, shift: indentLess },
        ...defaultKeymap,
        ...historyKeymap,
        ...searchKeymap,
        ...foldKeymap,
        ...lintKeymap,
      ]),
      // Tab indents here, so say how to leave by keyboard: Escape, then Tab
      // (CodeMirror's own way out of a Tab-bound editor).
      EditorView.contentAttributes.of({
        "aria-label": "Machine definition (YAML)",
        "aria-description": "Tab indents. To move on with the keyboard, press Escape, then Tab.",
      }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged && onChange) onChange(update.state.doc.toString());
        if ((update.docChanged || update.selectionSet) && cursorListeners.length) cursorMoved();
      }),
    ],
  });
  const view = new EditorView({ state, parent });

  // Follow the page's theme (data-theme on <html>), and the system's colour
  // scheme while the page sets none, for as long as the editor lives.
  let isDark = pageIsDark();
  const onScheme = () => {
    const next = pageIsDark();
    if (next === isDark) return;
    isDark = next;
    view.dispatch({ effects: dark.reconfigure(EditorView.darkTheme.of(next)) });
  };
  let media = null;
  if (typeof window.matchMedia === "function") {
    media = window.matchMedia("(prefers-color-scheme: dark)");
    if (media.addEventListener) media.addEventListener("change", onScheme);
  }
  const themeObserver = typeof MutationObserver === "function" ? new MutationObserver(onScheme) : null;
  if (themeObserver) themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });

  // reveal selects r (or puts the cursor at its start) and scrolls it to the
  // middle of the editor. Only the editor's own scroller moves: the page
  // stays where it is (at phone width the page scrolls, and a click on the
  // diagram must not carry it away to the editor).
  function reveal(r, select) {
    if (!r) return false;
    view.dispatch({
      selection: select ? EditorSelection.range(r.from, r.to) : EditorSelection.cursor(r.from),
      userEvent: "select.reveal",
    });
    centre(r.from, 2);
    return true;
  }
  // centre scrolls the editor so that pos is in its middle; lines far away
  // have estimated heights until drawn, so it measures again after moving.
  function centre(pos, passes) {
    view.requestMeasure({
      read() {
        const b = view.lineBlockAt(pos);
        return { top: b.top, height: b.height, view: view.scrollDOM.clientHeight, at: view.scrollDOM.scrollTop };
      },
      write(m) {
        const want = Math.max(0, Math.round(m.top - (m.view - m.height) / 2));
        if (Math.abs(want - m.at) < 2) return;
        view.scrollDOM.scrollTop = want;
        if (passes > 1) centre(pos, passes - 1);
      },
    });
  }

  return {
    view,
    getText() {
      return view.state.doc.toString();
    },
    // setText replaces the document like a user edit: one undoable transaction
    // that fires onChange. Only the differing middle part is replaced, so the
    // cursor and scroll position survive; identical text is a no-op.
    setText(text) {
      const next = text == null ? "" : String(text);
      const cur = view.state.doc.toString();
      if (next === cur) return;
      let start = 0;
      const max = Math.min(cur.length, next.length);
      while (start < max && cur.charCodeAt(start) === next.charCodeAt(start)) start++;
      let endCur = cur.length;
      let endNext = next.length;
      while (endCur > start && endNext > start && cur.charCodeAt(endCur - 1) === next.charCodeAt(endNext - 1)) {
        endCur--;
        endNext--;
      }
      view.dispatch({
        changes: { from: start, to: endCur, insert: next.slice(start, endNext) },
        userEvent: "input",
        scrollIntoView: true,
      });
    },
    // applyEdit replaces the document with text as one undo step of its own
    // (a visual edit): only the ranges that differ are replaced, so the
    // cursor and the scroll position stay where they were. It fires
    // onChange like typing.
    applyEdit(text) {
      const next = text == null ? "" : String(text);
      const changes = textChanges(view.state.doc.toString(), next);
      if (!changes.length) return false;
      view.dispatch({
        changes,
        userEvent: "input.visual",
        annotations: [isolateHistory.of("full"), Transaction.addToHistory.of(true)],
      });
      return true;
    },
    // getSelection is the main selection as 1-based lines and columns.
    getSelection() {
      const r = view.state.selection.main;
      const at = (pos) => {
        const line = view.state.doc.lineAt(pos);
        return { line: line.number, col: pos - line.from + 1 };
      };
      return { from: at(r.from), to: at(r.to) };
    },
    // setCursor puts the cursor at a 1-based line and column (clamped) and
    // scrolls it into view, without taking the focus.
    setCursor(line, column) {
      const { pos } = position(view.state.doc, line, column == null ? 1 : column);
      view.dispatch({ selection: EditorSelection.cursor(pos), effects: EditorView.scrollIntoView(pos, { y: "nearest" }) });
    },
    // locate says what the text at pos (default: the cursor) is about:
    // {states: [name], transition: index|null}.
    locate(pos) {
      return locate(view.state, pos == null ? view.state.selection.main.head : pos);
    },
    // onCursor registers fn({states, transition}), called when what the
    // cursor is on changes.
    onCursor(fn) {
      cursorListeners.push(fn);
    },
    // revealState selects the name in state name's definition and scrolls
    // it to the middle; false when the text defines no such state.
    revealState(name) {
      return reveal(findState(view.state, name), true);
    },
    // revealTransition puts the cursor at the start of the index-th
    // transition's item and scrolls it to the middle.
    revealTransition(index) {
      return reveal(findTransition(view.state, index), false);
    },
    // setNames hands the editor's help the names of the last analysis:
    // {states, triggers, guards, actions, regions, info: {state: line}}.
    setNames(names) {
      view.dispatch({ effects: setNamesEffect.of(names) });
    },
    // setProblems shows [{line, column, severity, message, code}] (1-based
    // positions, clamped) as lint diagnostics; an empty list clears them.
    setProblems(problems) {
      const list = Array.isArray(problems) ? problems : [];
      const doc = view.state.doc;
      const diagnostics = list.map((p) => toDiagnostic(doc, p)).sort((a, b) => a.from - b.from || a.to - b.to);
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    // gotoLine puts the cursor at a 1-based line and column (clamped), scrolls
    // it to the middle of the editor and focuses it.
    gotoLine(line, column) {
      const { pos } = position(view.state.doc, line, column == null ? 1 : column);
      view.dispatch({
        selection: EditorSelection.cursor(pos),
        effects: EditorView.scrollIntoView(pos, { y: "center" }),
      });
      view.focus();
    },
    focus() {
      view.focus();
    },
    setReadOnly(value) {
      view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(!!value)) });
    },
    destroy() {
      clearTimeout(cursorTimer);
      if (media && media.removeEventListener) media.removeEventListener("change", onScheme);
      if (themeObserver) themeObserver.disconnect();
      view.destroy();
    },
  };
}

window.StatorEditor = { create };
