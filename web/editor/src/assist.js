// Editor help for machine text (SPEC 7.1): completion of state names
// wherever a state is referenced, of triggers, guard and action names, and
// of the format's keys at each level with a line about each; hover help on
// keys and state references; go to a state's definition (Ctrl/Cmd+click,
// F12). The names come from the page (the server's last analysis of the
// text, handed over with setNames) together with the names the text on
// screen defines, so nothing asks the server per key.

import { autocompletion, completionKeymap } from "@codemirror/autocomplete";
import { EditorSelection, StateEffect, StateField } from "@codemirror/state";
import { EditorView, hoverTooltip, keymap } from "@codemirror/view";
import { syntaxTree } from "@codemirror/language";
import { LEVELS, levelOf, valueKind } from "./schema.js";
import { completionContext, findState, keyAt, nameOfItem, referenceAt, rootList } from "./machine-text.js";

// setNamesEffect hands the analysis' names to the editor.
export const setNamesEffect = StateEffect.define();

// namesField holds {states, triggers, guards, actions, regions, info}: the
// last names the page gave (info: state name → one line about it).
export const namesField = StateField.define({
  create: () => ({ states: [], triggers: [], guards: [], actions: [], regions: [], info: {} }),
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setNamesEffect)) value = e.value;
    return value;
  },
});

// definedStates are the state names the text on screen defines (a state
// being added shows up before the server's analysis comes back).
function definedStates(state) {
  const list = rootList(state.doc, syntaxTree(state), "states");
  const out = [];
  if (!list) return out;
  for (let item = list.firstChild; item; item = item.nextSibling) {
    if (item.name !== "Item") continue;
    const name = nameOfItem(state.doc, item);
    if (name) out.push(name);
  }
  return out;
}

function unique(list) {
  return [...new Set(list.filter((x) => typeof x === "string" && x))];
}

function nameOptions(names, kind, typed) {
  const detail = { state: "state", trigger: "trigger", guard: "guard", action: "action", region: "region" }[kind];
  return names.filter((n) => n !== typed).map((n) => ({ label: n, type: kind === "state" ? "class" : "variable", detail }));
}

// source is the completion source. Keys are offered once a letter is
// typed (not on every new line); names as soon as a value can start.
function source(context) {
  const word = context.matchBefore(/[A-Za-z0-9_]*/);
  if (!word) return null;
  const ctx = completionContext(context.state, word.from);
  if (!ctx) return null;
  if (word.from === word.to && !context.explicit && ctx.kind === "key") return null;
  const from = word.from;
  const typed = word.text;
  const names = context.state.field(namesField);
  if (ctx.kind === "key") {
    const level = levelOf(ctx.path);
    if (level === "guards") {
      // under guards: the guards used but not defined yet
      return { from, options: nameOptions(names.guards, "guard", typed), validFor: /^[A-Za-z0-9_]*$/ };
    }
    const keys = LEVELS[level];
    if (!keys) return null;
    return {
      from,
      options: Object.keys(keys).map((k) => ({ label: k, type: "property", info: keys[k], apply: k + ": " })),
      validFor: /^[A-Za-z0-9_]*$/,
    };
  }
  const level = levelOf(ctx.path);
  const kind = valueKind(level, ctx.key);
  if (!kind) return null;
  let options;
  if (Array.isArray(kind)) {
    options = kind.map((w) => ({ label: w, type: "keyword" }));
  } else if (kind === "state") {
    const info = names.info || {};
    options = nameOptions(unique(names.states.concat(definedStates(context.state))), "state", typed).map((o) =>
      info[o.label] ? Object.assign(o, { info: info[o.label] }) : o,
    );
  } else {
    options = nameOptions(unique(names[kind + "s"] || []), kind, typed);
  }
  if (!options.length) return null;
  return { from, options, validFor: /^[A-Za-z0-9_]*$/ };
}

// hover shows a key's line, or what a referenced state is.
function hover(view, pos) {
  const key = keyAt(view.state, pos);
  if (key) {
    const level = levelOf(key.path.slice(0, -1));
    const line = LEVELS[level] && LEVELS[level][key.key];
    if (!line) return null;
    return tip(key.from, key.to, key.key, line);
  }
  const name = referenceAt(view.state, pos);
  if (!name) return null;
  const info = view.state.field(namesField).info || {};
  const r = findState(view.state, name);
  const text = info[name] || (r ? "state (Ctrl/⌘+click or F12: go to its definition)" : "no such state");
  return tip(pos, pos, name, text);
}

function tip(from, to, title, text) {
  return {
    pos: from,
    end: to,
    above: true,
    create() {
      const dom = document.createElement("div");
      dom.className = "cm-stator-hover";
      const b = document.createElement("code");
      b.textContent = title;
      const s = document.createElement("span");
      s.textContent = " " + text;
      dom.append(b, s);
      return { dom };
    },
  };
}

// goToDefinition selects the definition of the state referenced at pos.
export function goToDefinition(view, pos) {
  const name = referenceAt(view.state, pos);
  if (!name) return false;
  const r = findState(view.state, name);
  if (!r) return false;
  view.dispatch({
    selection: EditorSelection.range(r.from, r.to),
    effects: EditorView.scrollIntoView(r.from, { y: "center" }),
    userEvent: "select.definition",
  });
  view.focus();
  return true;
}

// assist is the editor extension.
export function assist() {
  return [
    namesField,
    autocompletion({ override: [source], icons: false, activateOnTyping: true, maxRenderedOptions: 200 }),
    keymap.of([...completionKeymap, { key: "F12", run: (view) => goToDefinition(view, view.state.selection.main.head) }]),
    hoverTooltip(hover, { hoverTime: 350 }),
    EditorView.domEventHandlers({
      mousedown(event, view) {
        if (!(event.ctrlKey || event.metaKey) || event.button !== 0) return false;
        const pos = view.posAtCoords({ x: event.clientX, y: event.clientY });
        if (pos == null || !referenceAt(view.state, pos)) return false;
        event.preventDefault();
        return goToDefinition(view, pos);
      },
    }),
    EditorView.baseTheme({
      ".cm-stator-hover": { padding: "3px 6px", fontSize: "12px", maxWidth: "28em" },
      ".cm-stator-hover code": { fontWeight: "600" },
      ".cm-tooltip.cm-tooltip-autocomplete > ul > li": { padding: "1px 6px" },
      ".cm-completionDetail": { opacity: "0.7", marginLeft: "0.6em", fontStyle: "normal" },
    }),
  ];
}
