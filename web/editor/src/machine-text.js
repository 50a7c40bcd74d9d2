// Where things are in the machine text, read from CodeMirror's YAML syntax
// tree (@lezer/yaml) of the current document: the path of keys and list
// indexes at a position, the state or transition the cursor is on, where a
// state is defined. The tree is the editor's own, kept up to date as the
// text changes, so these answers are always about the text on screen
// (the server's last analysis may be a pause behind), cost no round trip,
// and hold for JSON text too (flow mappings in the same tree).
//
// A path is a list of keys (strings) and list indexes (numbers):
// ["transitions", 2, "source", 0] is the first source of the third
// transition.

import { ensureSyntaxTree, syntaxTree } from "@codemirror/language";
import { levelOf } from "./schema.js";

const SCALARS = new Set(["Literal", "QuotedLiteral"]);
const WRAPPERS = new Set(["Anchored", "Tagged"]);

// scalarText is a scalar node's value: a quoted scalar unquoted.
export function scalarText(doc, node) {
  const raw = doc.sliceString(node.from, node.to);
  if (node.name !== "QuotedLiteral") return raw.trim();
  if (raw.startsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  try {
    return JSON.parse(raw);
  } catch (e) {
    return raw.slice(1, -1);
  }
}

// keyOf is the text of a Pair's key ("" when it has none).
function keyOf(doc, pair) {
  const key = pair.getChild("Key");
  if (!key) return "";
  let n = key.firstChild;
  while (n && WRAPPERS.has(n.name)) n = n.lastChild;
  return n && SCALARS.has(n.name) ? scalarText(doc, n) : doc.sliceString(key.from, key.to).trim();
}

// valueOf is the value node of a Pair: what follows its ":" (wrappers
// such as an anchor looked through), or null.
export function valueOf(pair) {
  let n = pair.lastChild;
  if (!n || n.name === ":" || n.name === "Key") return null;
  while (n && WRAPPERS.has(n.name)) n = n.lastChild;
  return n;
}

function itemIndex(item) {
  let i = 0;
  for (let s = item.prevSibling; s; s = s.prevSibling) if (s.name === "Item") i++;
  return i;
}

// pathOf is the path from the document's root to node, and whether node
// is (inside) a key rather than a value.
export function pathOf(doc, node) {
  const path = [];
  let inKey = false;
  for (let n = node; n; n = n.parent) {
    if (n.name === "Key") inKey = true;
    if (n.name === "Pair") path.push(keyOf(doc, n));
    else if (n.name === "Item") path.push(itemIndex(n));
  }
  path.reverse();
  return { path, inKey };
}

// scalarAt is the scalar (Literal or QuotedLiteral) at pos, or null.
export function scalarAt(state, pos) {
  const tree = syntaxTree(state);
  for (const side of [-1, 1]) {
    let n = tree.resolveInner(pos, side);
    if (n && SCALARS.has(n.name) && n.from <= pos && pos <= n.to) return n;
  }
  return null;
}

// nodeAt is the innermost node at pos: of the nodes ending there and
// starting there, the deeper one.
function nodeAt(state, pos) {
  const tree = syntaxTree(state);
  const a = tree.resolveInner(pos, -1);
  const b = tree.resolveInner(pos, 1);
  return depth(b) > depth(a) ? b : a;
}

function depth(n) {
  let d = 0;
  for (let p = n; p; p = p.parent) d++;
  return d;
}

// stateRef says whether the value at path names a state (SPEC 2's list:
// source, dest, parent, initial_child, timeout.destination, a region's
// initial and states, error_policy.default_fallback).
export function isStateRef(path) {
  const level = levelOf(path);
  return /^(transitions\[\]\.(source(\[\])?|dest)|states\[\]\.(parent|initial_child|timeout\.destination|regions\[\]\.(initial|states\[\]))|error_policy\.default_fallback)$/.test(level);
}

// pairIn finds the Pair with a key in a mapping node.
function pairIn(doc, mapping, key) {
  if (!mapping) return null;
  for (let c = mapping.firstChild; c; c = c.nextSibling) {
    if (c.name === "Pair" && keyOf(doc, c) === key) return c;
  }
  return null;
}

function mappingOf(node) {
  let n = node;
  while (n && (n.name === "Item" || WRAPPERS.has(n.name))) n = n.lastChild;
  return n && (n.name === "BlockMapping" || n.name === "FlowMapping") ? n : null;
}

// topItem is the item of the top-level list `list` that node is in,
// with its index, or null.
function topItem(doc, node, list) {
  let item = null;
  for (let n = node; n; n = n.parent) {
    if (n.name === "Item") item = n;
    if (n.name === "Pair" && n.parent && isRootMapping(n.parent)) {
      return keyOf(doc, n) === list && item ? { item, index: itemIndex(item) } : null;
    }
  }
  return null;
}

function isRootMapping(m) {
  let p = m.parent;
  while (p && WRAPPERS.has(p.name)) p = p.parent;
  return !!p && p.name === "Document";
}

// nameOfItem is the `name` of a states item, or "".
function nameOfItem(doc, item) {
  const pair = pairIn(doc, mappingOf(item), "name");
  const v = pair && valueOf(pair);
  return v && SCALARS.has(v.name) ? scalarText(doc, v) : "";
}

// locate says what the text at pos is about, for the diagram: the states to
// mark (the one whose definition the cursor is in, or the one a reference
// names) and the transition whose item it is in (its index in
// `transitions`), each null or empty when none.
export function locate(state, pos) {
  const doc = state.doc;
  const out = { states: [], transition: null };
  const node = nodeAt(state, pos);
  if (!node) return out;
  const scalar = scalarAt(state, pos);
  if (scalar) {
    const { path, inKey } = pathOf(doc, scalar);
    if (!inKey && isStateRef(path)) {
      const name = scalarText(doc, scalar);
      if (name) out.states.push(name);
    }
  }
  const t = topItem(doc, node, "transitions");
  if (t) {
    out.transition = t.index;
    return out;
  }
  const s = topItem(doc, node, "states");
  if (s && !out.states.length) {
    const name = nameOfItem(doc, s.item);
    if (name) out.states.push(name);
  }
  return out;
}

// rootList is the sequence node of a top-level key (states, transitions).
function rootList(doc, tree, key) {
  const top = tree.topNode.getChild("Document");
  if (!top) return null;
  let m = null;
  for (let c = top.firstChild; c && !m; c = c.nextSibling) {
    let n = c;
    while (n && WRAPPERS.has(n.name)) n = n.lastChild;
    if (n && (n.name === "BlockMapping" || n.name === "FlowMapping")) m = n;
  }
  if (!m) return null;
  const pair = pairIn(doc, m, key);
  const v = pair && valueOf(pair);
  return v && (v.name === "BlockSequence" || v.name === "FlowSequence") ? v : null;
}

// fullTree is the syntax tree of the whole document, parsed now if the
// editor has not got that far (it parses what is on screen first).
function fullTree(state) {
  return ensureSyntaxTree(state, state.doc.length, 1000) || syntaxTree(state);
}

// findState is where state `name` is defined: the range of its name's
// value in `states`, or null.
export function findState(state, name) {
  const doc = state.doc;
  const list = rootList(doc, fullTree(state), "states");
  if (!list) return null;
  for (let item = list.firstChild; item; item = item.nextSibling) {
    if (item.name !== "Item") continue;
    const pair = pairIn(doc, mappingOf(item), "name");
    const v = pair && valueOf(pair);
    if (v && SCALARS.has(v.name) && scalarText(doc, v) === name) return { from: v.from, to: v.to };
  }
  return null;
}

// findTransition is the range of the index-th item of `transitions` (from
// its first key), or null.
export function findTransition(state, index) {
  const list = rootList(state.doc, fullTree(state), "transitions");
  if (!list) return null;
  let i = 0;
  for (let item = list.firstChild; item; item = item.nextSibling) {
    if (item.name !== "Item") continue;
    if (i++ === index) {
      const m = mappingOf(item);
      const first = m && m.getChild("Pair");
      return first ? { from: first.from, to: item.to } : { from: item.from, to: item.to };
    }
  }
  return null;
}

// referenceAt is the state name a reference at pos names (for go to
// definition), or "".
export function referenceAt(state, pos) {
  const scalar = scalarAt(state, pos);
  if (!scalar) return "";
  const { path, inKey } = pathOf(state.doc, scalar);
  return !inKey && isStateRef(path) ? scalarText(state.doc, scalar) : "";
}

// keyAt is the key under pos with its path, for hover help, or null.
export function keyAt(state, pos) {
  const scalar = scalarAt(state, pos);
  if (!scalar) return null;
  const { path, inKey } = pathOf(state.doc, scalar);
  if (!inKey) return null;
  return { path, key: path[path.length - 1], from: scalar.from, to: scalar.to };
}

// pathAtKeyLine is the path of the key that starts at pos (a Key node's
// first character), or null.
function pathAtKey(state, pos) {
  const scalar = scalarAt(state, pos + 1) || scalarAt(state, pos);
  if (!scalar) return null;
  const { path, inKey } = pathOf(state.doc, scalar);
  return inKey ? path : null;
}

const KEY_LINE = /^(\s*)(?:-\s+)*(["']?)([A-Za-z0-9_]+)\2\s*:(\s|$)/;

// completionContext says what the word being typed at pos is: a key of the
// mapping at `path` ({kind: "key", path}), or the value of a key
// ({kind: "value", path, key}, path of the mapping holding key), or an item
// of the list at key ({kind: "item", path, key}); null when it cannot tell.
// It reads the tree where the text parses, and the indentation of block
// lines where the word being typed has not made a key yet.
export function completionContext(state, from) {
  const doc = state.doc;
  const line = doc.lineAt(from);
  let before = doc.sliceString(line.from, from);
  if (/["']$/.test(before)) before = before.slice(0, -1); // a quoted name being typed
  let q = before.length;
  while (q > 0 && (before[q - 1] === " " || before[q - 1] === "\t")) q--;
  const c = q > 0 ? before[q - 1] : "";
  const at = line.from + q;
  if (c === ":") {
    // `key: |` — the key is the Pair's
    const m = /(["']?)([A-Za-z0-9_]+)\1\s*:$/.exec(before.slice(0, q));
    if (!m) return null;
    const keyFrom = line.from + m.index;
    const path = pathAtKey(state, keyFrom);
    if (path) return { kind: "value", path: path.slice(0, -1), key: m[2] };
    const parent = blockParent(state, line, keyFrom - line.from);
    return parent ? { kind: "value", path: parent, key: m[2] } : null;
  }
  if (c === "[" || c === ",") {
    // inside a flow list or mapping
    const n = syntaxTree(state).resolveInner(at - 1, 1);
    let p = n;
    while (p && p.name !== "FlowSequence" && p.name !== "FlowMapping") p = p.parent;
    if (!p) return null;
    const { path } = pathOf(doc, p);
    if (p.name === "FlowMapping") return { kind: "key", path };
    return { kind: "item", path: path.slice(0, -1), key: path[path.length - 1] };
  }
  if (c === "{") {
    const n = syntaxTree(state).resolveInner(at - 1, 1);
    let p = n;
    while (p && p.name !== "FlowMapping") p = p.parent;
    return { kind: "key", path: p ? pathOf(doc, p).path : [] };
  }
  if (c === "-" && /^\s*-$/.test(before.slice(0, q))) {
    // `- |`: an item of the list whose key is above
    const col = q - 1;
    const parent = blockParent(state, line, col, true);
    if (!parent || !parent.length) return null;
    const key = parent[parent.length - 1];
    const level = levelOf(parent);
    if (isListOfMappings(level)) return { kind: "key", path: parent.concat([0]) };
    return { kind: "item", path: parent.slice(0, -1), key };
  }
  if (q === 0) {
    // a key at the start of a block line
    const parent = blockParent(state, line, from - line.from);
    return parent ? { kind: "key", path: parent } : { kind: "key", path: [] };
  }
  return null;
}

function isListOfMappings(level) {
  return /^(state_variables|events|states|transitions|events\[\]\.payload|states\[\]\.regions)$/.test(level);
}

// blockParent finds, from the lines above, the path of the mapping a key at
// column col of line belongs to; with dash, the path of the key whose list
// a "- " at column col is an item of. Blank and comment lines are skipped;
// a line with a key is read in the syntax tree.
function blockParent(state, line, col, dash) {
  const doc = state.doc;
  for (let n = line.number - 1; n >= 1; n--) {
    const l = doc.line(n);
    const text = l.text;
    if (!text.trim() || /^\s*#/.test(text)) continue;
    const indent = text.length - text.trimStart().length;
    const m = KEY_LINE.exec(text);
    if (!m) {
      if (indent < col) return null;
      continue;
    }
    const keyCol = /^\s*(?:-\s+)*/.exec(text)[0].length;
    const keyPath = () => pathAtKey(state, l.from + keyCol);
    if (dash) {
      // the list's key: the first key left of the dash (or at its column
      // on a line of its own: `key:\n- item` is valid YAML)
      if (keyCol < col || (keyCol === col && indent === keyCol)) return keyPath();
      continue;
    }
    if (keyCol === col) {
      const p = keyPath();
      return p ? p.slice(0, -1) : null;
    }
    if (keyCol < col) return keyPath();
  }
  return col === 0 ? [] : null;
}

export { nameOfItem, rootList };
