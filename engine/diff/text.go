package diff

import (
	"fmt"
	"strings"
)

// maxEdits bounds the work of a text diff: past this many line edits the
// diff says the whole text was replaced (Myers' algorithm costs
// (lines) × (edits)).
const maxEdits = 2000

// Text is a unified diff of two texts (3 lines of context), "" when they are
// equal. Lines are compared as they are; CRLF and LF differ.
func Text(fromName, toName, a, b string) string {
	if a == b {
		return ""
	}
	x, y := lines(a), lines(b)
	ops := edits(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", fromName, toName)
	for _, h := range hunks(ops, 3) {
		writeHunk(&out, h, x, y)
	}
	return out.String()
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.SplitAfter(s, "\n")
	if out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// op is one line of the edit script: kept (' '), deleted ('-') or inserted
// ('+'), with its line number in a (for ' ' and '-') and in b (for ' ' and
// '+').
type op struct {
	kind byte
	i, j int
}

// edits is the shortest edit script from x to y (Myers 1986), or, past
// maxEdits, delete all then insert all.
func edits(x, y []string) []op {
	// trim the common prefix and suffix: most edits touch a few lines
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	mid := myers(x[pre:len(x)-suf], y[pre:len(y)-suf])
	out := make([]op, 0, pre+len(mid)+suf)
	for k := 0; k < pre; k++ {
		out = append(out, op{' ', k, k})
	}
	for _, o := range mid {
		out = append(out, op{o.kind, o.i + pre, o.j + pre})
	}
	for k := 0; k < suf; k++ {
		out = append(out, op{' ', len(x) - suf + k, len(y) - suf + k})
	}
	return out
}

func myers(x, y []string) []op {
	n, m := len(x), len(y)
	max := n + m
	if max == 0 {
		return nil
	}
	limit := min(max, maxEdits)
	off := max + 1
	v := make([]int, 2*max+2)
	// trace[d] keeps v[-d..d] as it was before step d (memory O(D²))
	var trace [][]int
	found := false
	for d := 0; d <= limit && !found; d++ {
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				i = v[off+k+1]
			} else {
				i = v[off+k-1] + 1
			}
			j := i - k
			for i < n && j < m && x[i] == y[j] {
				i++
				j++
			}
			v[off+k] = i
			if i >= n && j >= m {
				found = true
				break
			}
		}
	}
	if !found {
		out := make([]op, 0, n+m)
		for i := 0; i < n; i++ {
			out = append(out, op{'-', i, 0})
		}
		for j := 0; j < m; j++ {
			out = append(out, op{'+', n, j})
		}
		return out
	}
	// walk back through the trace
	var rev []op
	i, j := n, m
	for d := len(trace) - 1; d > 0; d-- {
		v := trace[d] // v[d+k] is diagonal k before step d
		k := i - j
		var pk int
		if k == -d || (k != d && v[d+k-1] < v[d+k+1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		pi := v[d+pk]
		pj := pi - pk
		for i > pi && j > pj {
			i--
			j--
			rev = append(rev, op{' ', i, j})
		}
		if pk == k+1 {
			j--
			rev = append(rev, op{'+', i, j})
		} else {
			i--
			rev = append(rev, op{'-', i, j})
		}
	}
	for i > 0 && j > 0 {
		i--
		j--
		rev = append(rev, op{' ', i, j})
	}
	out := make([]op, len(rev))
	for k := range rev {
		out[k] = rev[len(rev)-1-k]
	}
	return out
}

// hunks groups the script into hunks with ctx lines of context around the
// changes.
func hunks(ops []op, ctx int) [][]op {
	var out [][]op
	start := -1
	last := -1 // index of the last change included
	for k, o := range ops {
		if o.kind == ' ' {
			continue
		}
		if start >= 0 && k-last > 2*ctx {
			out = append(out, ops[start:min(len(ops), last+ctx+1)])
			start = -1
		}
		if start < 0 {
			start = max(0, k-ctx)
		}
		last = k
	}
	if start >= 0 {
		out = append(out, ops[start:min(len(ops), last+ctx+1)])
	}
	return out
}

func writeHunk(w *strings.Builder, h []op, x, y []string) {
	ai, bj := -1, -1
	na, nb := 0, 0
	for _, o := range h {
		if o.kind != '+' {
			if ai < 0 {
				ai = o.i
			}
			na++
		}
		if o.kind != '-' {
			if bj < 0 {
				bj = o.j
			}
			nb++
		}
	}
	if ai < 0 {
		ai = h[0].i
	}
	if bj < 0 {
		bj = h[0].j
	}
	startA, startB := ai+1, bj+1
	if na == 0 {
		startA = ai
	}
	if nb == 0 {
		startB = bj
	}
	fmt.Fprintf(w, "@@ -%d,%d +%d,%d @@\n", startA, na, startB, nb)
	for _, o := range h {
		var line string
		if o.kind == '+' {
			line = y[o.j]
		} else {
			line = x[o.i]
		}
		w.WriteByte(o.kind)
		w.WriteString(line)
		if !strings.HasSuffix(line, "\n") {
			w.WriteString("\n\\ No newline at end of file\n")
		}
	}
}
