// textChanges finds the changes that turn text a into text b, as
// CodeMirror change specs ({from, to, insert} on a), each as small as it
// can be: lines are compared first (Myers' O(ND) algorithm), then the ends
// of each changed run of lines are trimmed character by character. A visual
// edit that renames a state in ten places becomes ten small changes, so the
// cursor, the selection and the scroll position keep their place around
// them. When the texts differ in more than maxEdits lines, the middle is
// replaced in one change (a correct answer, only less precise).

export function textChanges(a, b, maxEdits = 400) {
  if (a === b) return [];
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  // back to the start of the line, so that lines are compared whole
  while (start > 0 && a.charCodeAt(start - 1) !== 10) start--;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  // forward to the end of a line (just after its newline)
  while (endA < a.length && a.charCodeAt(endA - 1) !== 10 && endA > start) {
    endA++;
    endB++;
  }
  const la = lines(a.slice(start, endA));
  const lb = lines(b.slice(start, endB));
  const script = myers(la, lb, maxEdits);
  if (!script) return [trim(a, b, start, endA, start, endB)].filter(Boolean);
  const out = [];
  let posA = start;
  let posB = start;
  let i = 0;
  let j = 0;
  for (const [ia, ib] of script.concat([[la.length, lb.length]])) {
    // lines i..ia of a became lines j..ib of b, then a common line
    if (ia - i === ib - j) {
      // as many lines on both sides (a rename): line by line
      while (i < ia) {
        const c = trim(a, b, posA, posA + la[i].length, posB, posB + lb[j].length);
        if (c) out.push(c);
        posA += la[i++].length;
        posB += lb[j++].length;
      }
    } else {
      const fromA = posA;
      const fromB = posB;
      while (i < ia) posA += la[i++].length;
      while (j < ib) posB += lb[j++].length;
      const c = trim(a, b, fromA, posA, fromB, posB);
      if (c) out.push(c);
    }
    if (ia < la.length) {
      posA += la[ia].length;
      posB += lb[ib].length;
      i = ia + 1;
      j = ib + 1;
    }
  }
  return out;
}

function lines(s) {
  const out = s.split(/(?<=\n)/);
  return out.length === 1 && out[0] === "" ? [] : out;
}

// trim is the change replacing a[fromA, toA) by b[fromB, toB) with the
// common characters at both ends left alone; null when nothing differs.
function trim(a, b, fromA, toA, fromB, toB) {
  while (fromA < toA && fromB < toB && a.charCodeAt(fromA) === b.charCodeAt(fromB)) {
    fromA++;
    fromB++;
  }
  while (toA > fromA && toB > fromB && a.charCodeAt(toA - 1) === b.charCodeAt(toB - 1)) {
    toA--;
    toB--;
  }
  if (fromA === toA && fromB === toB) return null;
  return { from: fromA, to: toA, insert: b.slice(fromB, toB) };
}

// myers returns the pairs (i, j) of lines a[i] === b[j] kept in common, in
// order, or null when more than maxEdits lines differ.
function myers(a, b, maxEdits) {
  const n = a.length;
  const m = b.length;
  const offset = maxEdits + 1;
  let v = new Int32Array(2 * offset + 1);
  const trace = [];
  for (let d = 0; d <= maxEdits; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
      else x = v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, v, offset, d, n, m, a, b);
    }
  }
  return null;
}

function backtrack(trace, last, offset, d, n, m, a, b) {
  const common = [];
  let x = n;
  let y = m;
  for (let e = d; e > 0; e--) {
    const v = trace[e];
    const k = x - y;
    const prevK = k === -e || (k !== e && v[offset + k - 1] < v[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = v[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      common.push([x, y]);
    }
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    common.push([x, y]);
  }
  common.reverse();
  return common.filter(([i, j]) => a[i] === b[j]);
}
