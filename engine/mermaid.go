package engine

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Mermaid renders the machine as a Mermaid stateDiagram-v2, deterministically
// (states and transitions in YAML order; the same machine and options give the
// same bytes).
//
// The output uses a small subset of the syntax, one statement per line:
// `state "name" as s_name_` for a state (`{ ... }` around the states of a
// compound state; parallel regions separated by `--`), `[*] --> id` for the
// initial state of the machine, of each compound state and of each region,
// `id --> [*]` for terminal states, and `a --> b : label` for transitions,
// labelled `trigger [guards] / actions`, `after 5s` for a delayed transition
// and `after 5s (timeout)` for a state's timeout. Node ids follow
// StateNodeID. All user text (names, guard expressions, descriptions) goes
// through one escaper that keeps letters, digits, spaces and a little
// punctuation and writes everything else as a Mermaid entity code (`#60;`),
// so no text can end a statement, start a comment or directive, or reach the
// page as markup or markdown.
//
// Mermaid 11 mis-draws an edge between a composite state and a state inside
// it (the path collapses to a point) and fails outright when a composite is
// referenced inside its own block, so such transitions are drawn in an
// equivalent form, with a note in the label: a transition into an enclosing
// composite (or a composite's transition to itself) points at the leaf it
// enters, `(enters c)`; a transition from a composite to a state inside it
// starts at the start pseudo-state of the target's block, `(from c)`; both at
// once read `(from a, enters b)`, or `(restarts c)`. Mermaid also moves a
// state into the block where it is last mentioned, so a transition is written
// inside a block only when both its states are directly in that block, and
// at the top level otherwise.
func (m *Machine) Mermaid(opts DiagramOptions) string {
	return m.MermaidDiagram(opts).Text
}

// MermaidDiagram is a machine's Mermaid text with what the page needs to link
// the drawn SVG back to the machine.
type MermaidDiagram struct {
	// Text is what Mermaid draws (the same as Machine.Mermaid).
	Text string `json:"text"`
	// Edges has one entry per edge statement (`a --> b`, `[*] --> a`,
	// `a --> [*]`), in the order of the text, which is the order in which
	// Mermaid 11 numbers the edges it draws ("edge0", "edge1", ...): the
	// index in Definition.Transitions of the transition the edge draws, or -1
	// for the start and end markers and for a state's timeout (which is not
	// in Transitions). A transition with several sources has several edges.
	Edges []int `json:"edges"`
}

// MermaidDiagram renders the machine like Mermaid and says which transition
// each drawn edge belongs to.
func (m *Machine) MermaidDiagram(opts DiagramOptions) MermaidDiagram {
	w := mermaidWriter{m: m, opts: opts}
	text := w.render()
	return MermaidDiagram{Text: text, Edges: w.edgeMap}
}

// mermaidEdge is one drawn transition edge.
type mermaidEdge struct {
	from, to int32 // from == -1: the start pseudo-state of to's block
	t        *transition
	fromNote int32 // the composite the transition really leaves from, or -1
	enters   int32 // the composite the transition really enters, or -1
}

type mermaidWriter struct {
	m       *Machine
	opts    DiagramOptions
	b       strings.Builder
	edges   []mermaidEdge
	order   []int32 // edge indexes grouped by block
	start   []int32 // start[k]..start[k+1] in order: the edges of block k (k = node index, len(nodes) for the root)
	scratch []byte
	edgeMap []int // per edge statement written: the transition index, or -1
}

func (w *mermaidWriter) render() string {
	m := w.m
	w.collectEdges()
	w.edgeMap = make([]int, 0, len(w.edges)+8)
	w.b.Grow(w.estimate())
	w.b.WriteString("stateDiagram-v2\n")
	if name := m.def.Meta.MachineName; !blankText(name) {
		w.b.WriteString("    accTitle: ")
		writeMermaidText(&w.b, []byte(name))
		w.b.WriteByte('\n')
	}
	if d := m.def.Meta.Description; !blankText(d) {
		w.b.WriteString("    accDescr: ")
		writeMermaidText(&w.b, []byte(d))
		w.b.WriteByte('\n')
	}
	if d := w.opts.direction(); d != "" {
		w.b.WriteString("    direction ")
		w.b.WriteString(d)
		w.b.WriteByte('\n')
	}
	root := int32(len(m.nodes))
	w.startLine(1)
	w.b.WriteString("[*] --> ")
	m.writeNodeID(&w.b, m.initial)
	w.b.WriteByte('\n')
	w.edgeMap = append(w.edgeMap, -1)
	for i := range m.def.States {
		if m.nodes[i].parent < 0 {
			w.state(int32(i), 1)
		}
	}
	w.blockEdges(root, 1)
	for i := range m.def.States {
		if m.nodes[i].parent < 0 {
			w.terminal(int32(i), 1)
		}
	}
	return w.b.String()
}

// estimate is the output size, so that the builder grows once.
func (w *mermaidWriter) estimate() int {
	n := 128 + len(w.m.def.Meta.MachineName) + len(w.m.def.Meta.Description)
	for i := range w.m.nodes {
		n += 40 + 2*len(w.m.nodes[i].name)
	}
	for _, e := range w.edges {
		n += 32 + len(e.t.trigger)
		if w.opts.Guards {
			for _, g := range e.t.guards {
				n += 2 + len(g.label)
			}
		}
		if w.opts.Actions {
			for _, a := range e.t.actions {
				n += 2 + len(a.Name)
			}
		}
	}
	return n + n/8
}

// collectEdges lists the drawn edges in transition order and groups them by
// the block they are written in.
func (w *mermaidWriter) collectEdges() {
	m := w.m
	n := 0
	for i := range m.trans {
		n += len(m.trans[i].sources)
	}
	w.edges = make([]mermaidEdge, 0, n)
	for i := range m.trans {
		t := &m.trans[i]
		for _, s := range t.sources {
			w.edges = append(w.edges, m.mermaidEdge(s, t.dest, t))
		}
	}
	// counting sort by block, stable
	blocks := len(m.nodes) + 1
	w.start = make([]int32, blocks+1)
	blockOf := make([]int32, len(w.edges))
	for i := range w.edges {
		k := m.edgeBlock(&w.edges[i])
		blockOf[i] = k
		w.start[k+1]++
	}
	for k := 1; k <= blocks; k++ {
		w.start[k] += w.start[k-1]
	}
	w.order = make([]int32, len(w.edges))
	next := append([]int32(nil), w.start[:blocks]...)
	for i, k := range blockOf {
		w.order[next[k]] = int32(i)
		next[k]++
	}
}

// mermaidEdge turns the transition s -> d into an edge Mermaid draws.
func (m *Machine) mermaidEdge(s, d int32, t *transition) mermaidEdge {
	e := mermaidEdge{from: s, to: d, t: t, fromNote: -1, enters: -1}
	if m.composite(d) && m.isAncestorOrSelf(d, s) {
		// into an enclosing composite (or a composite's self-transition):
		// draw it to the leaf it enters
		e.to, e.enters = m.initialLeaf(d), d
	}
	if m.composite(s) && m.isAncestorOrSelf(s, e.to) {
		// from a composite to a state inside it: from the target block's start
		e.from, e.fromNote = -1, s
	}
	return e
}

// edgeBlock is the block an edge is written in: the block of both states when
// they share one (or of the target, for an edge from a start pseudo-state),
// else the top level (len(nodes)).
func (m *Machine) edgeBlock(e *mermaidEdge) int32 {
	root := int32(len(m.nodes))
	p := m.nodes[e.to].parent
	if e.from >= 0 && m.nodes[e.from].parent != p {
		return root
	}
	if p < 0 {
		return root
	}
	return p
}

func (w *mermaidWriter) startLine(depth int) {
	for range depth {
		w.b.WriteString("    ")
	}
}

// state writes a state and, for a composite, everything inside it.
func (w *mermaidWriter) state(n int32, depth int) {
	m := w.m
	nd := &m.nodes[n]
	w.startLine(depth)
	w.b.WriteString("state \"")
	writeMermaidName(&w.b, nd.name)
	w.b.WriteString("\" as ")
	m.writeNodeID(&w.b, n)
	if !m.composite(n) {
		w.b.WriteByte('\n')
		if desc := m.def.States[nd.def].Description; w.opts.Descriptions && !blankText(desc) {
			w.startLine(depth)
			m.writeNodeID(&w.b, n)
			w.b.WriteString(" : ")
			writeMermaidText(&w.b, []byte(desc))
			w.b.WriteByte('\n')
		}
		return
	}
	w.b.WriteString(" {\n")
	if nd.parallel() {
		// each region is a composite named after it (Mermaid's `--`
		// sections have no names of their own)
		for k, r := range nd.regions {
			if k > 0 {
				w.startLine(depth + 1)
				w.b.WriteString("--\n")
			}
			w.startLine(depth + 1)
			w.b.WriteString("state \"")
			writeMermaidName(&w.b, m.nodes[r].name)
			w.b.WriteString("\" as ")
			w.b.WriteString(RegionNodeID(nd.name, k))
			w.b.WriteString(" {\n")
			w.blockBody(r, depth+2)
			w.startLine(depth + 1)
			w.b.WriteString("}\n")
		}
	} else {
		w.blockBody(n, depth+1)
	}
	w.startLine(depth)
	w.b.WriteString("}\n")
}

// blockBody writes the inside of a compound state or a region: its initial
// marker, its states, the edges between them, its terminal markers.
func (w *mermaidWriter) blockBody(n int32, depth int) {
	m := w.m
	nd := &m.nodes[n]
	if nd.initial >= 0 {
		w.startLine(depth)
		w.b.WriteString("[*] --> ")
		m.writeNodeID(&w.b, nd.initial)
		w.b.WriteByte('\n')
		w.edgeMap = append(w.edgeMap, -1)
	}
	for _, c := range nd.children {
		w.state(c, depth)
	}
	w.blockEdges(n, depth)
	for _, c := range nd.children {
		w.terminal(c, depth)
	}
}

func (w *mermaidWriter) terminal(n int32, depth int) {
	if w.m.nodes[n].typ != StateTerminal || w.m.composite(n) {
		return
	}
	w.startLine(depth)
	w.m.writeNodeID(&w.b, n)
	w.b.WriteString(" --> [*]\n")
	w.edgeMap = append(w.edgeMap, -1)
}

func (w *mermaidWriter) blockEdges(k int32, depth int) {
	m := w.m
	for _, i := range w.order[w.start[k]:w.start[k+1]] {
		e := &w.edges[i]
		w.startLine(depth)
		if e.from < 0 {
			w.b.WriteString("[*]")
		} else {
			m.writeNodeID(&w.b, e.from)
		}
		w.b.WriteString(" --> ")
		m.writeNodeID(&w.b, e.to)
		w.b.WriteString(" : ")
		w.scratch = m.appendLabel(w.scratch[:0], e.t, w.opts)
		w.scratch = m.appendEdgeNote(w.scratch, e)
		writeMermaidText(&w.b, w.scratch)
		w.b.WriteByte('\n')
		if e.t.index < len(m.def.Transitions) {
			w.edgeMap = append(w.edgeMap, e.t.index)
		} else {
			w.edgeMap = append(w.edgeMap, -1) // a state's timeout
		}
	}
}

// appendEdgeNote says how a redrawn edge differs from the transition:
// "(enters c)", "(from c)", "(from a, enters b)", or "(restarts c)" for a
// composite's transition to itself.
func (m *Machine) appendEdgeNote(b []byte, e *mermaidEdge) []byte {
	switch {
	case e.fromNote >= 0 && e.fromNote == e.enters:
		b = append(b, " (restarts "...)
		b = append(b, m.nodes[e.enters].name...)
	case e.fromNote >= 0 && e.enters >= 0:
		b = append(b, " (from "...)
		b = append(b, m.nodes[e.fromNote].name...)
		b = append(b, ", enters "...)
		b = append(b, m.nodes[e.enters].name...)
	case e.fromNote >= 0:
		b = append(b, " (from "...)
		b = append(b, m.nodes[e.fromNote].name...)
	case e.enters >= 0:
		b = append(b, " (enters "...)
		b = append(b, m.nodes[e.enters].name...)
	default:
		return b
	}
	return append(b, ')')
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// writeMermaidEntity writes r as a Mermaid entity code, which Mermaid turns
// into the character reference &#r; in the SVG.
func writeMermaidEntity(b *strings.Builder, r rune) {
	var buf [16]byte
	out := append(buf[:0], '#')
	out = strconv.AppendInt(out, int64(r), 10)
	out = append(out, ';')
	b.Write(out)
}

// writeMermaidName writes a state name (letters, digits, underscores) as
// Mermaid text: the same result as writeMermaidText, without converting.
func writeMermaidName(b *strings.Builder, name string) {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			writeMermaidText(b, []byte(name))
			return
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case i == 0 && !isASCIILetter(c):
			writeMermaidEntity(b, rune(c))
		case c != '_' || i+1 < len(name) && isASCIIAlnum(name[i-1]) && isASCIIAlnum(name[i+1]) && (i > 1 || isASCIILetter(name[0])):
			// an underscore must sit between letters or digits as written:
			// after a first character written as an entity it is one too
			b.WriteByte(c)
		default:
			writeMermaidEntity(b, '_')
		}
	}
}

// mermaidRaw are the punctuation characters written as they are (besides
// letters, digits and spaces); see writeMermaidText for the exceptions.
const mermaidRaw = ",.()[]/=+-!?'"

// writeMermaidText writes user text into a Mermaid label or state string.
// Letters, digits, spaces and the punctuation in mermaidRaw are written as
// they are; every other character becomes an entity code `#<decimal>;`, which
// Mermaid's parser never sees as syntax and which reaches the SVG as a
// character reference (text, never markup). A few contexts are encoded too:
// the first visible character unless it is a letter (so that no text starts a
// markdown list or heading), `_` unless it is inside a word (markdown
// emphasis), the space after "direction" (Mermaid's lexer reads
// `direction LR` anywhere on a line), the dot after "www" (an autolink) and
// `(` after `]` (a markdown link), and a word joiner goes between the
// characters of Mermaid's own entity placeholders. Control characters (tabs and line breaks
// included) become spaces, so that the checks above see what is written;
// invalid UTF-8 becomes U+FFFD.
func writeMermaidText(b *strings.Builder, s []byte) {
	first := true
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(s[i:])
		}
		before := s[:i]
		i += size
		if isControl(r) {
			r = ' '
		}
		if r >= utf8.RuneSelf {
			writeMermaidEntity(b, r)
			if r == 'ﬂ' || r == '¶' {
				// Mermaid's placeholders for entity codes are "ﬂ°" and "¶ß", and
				// it replaces them in the finished SVG even where they are text:
				// keep the pair apart with a word joiner.
				if next, _ := utf8.DecodeRune(s[i:]); r == 'ﬂ' && next == '°' || r == '¶' && next == 'ß' {
					writeMermaidEntity(b, '\u2060')
				}
			}
			first = false
			continue
		}
		c := byte(r)
		switch {
		case c == ' ':
			if hasSuffixFold(before, "direction") {
				writeMermaidEntity(b, ' ')
			} else {
				b.WriteByte(' ')
			}
			continue
		case first && !isASCIILetter(c):
			writeMermaidEntity(b, r)
		case isASCIIAlnum(c):
			b.WriteByte(c)
		case c == '_':
			// raw only between letters or digits as written: the character
			// before must not itself have been written as an entity (a first
			// character that is not a letter is)
			prevRaw := len(before) > 0 && isASCIIAlnum(before[len(before)-1]) &&
				!(len(bytes.TrimLeft(before, " ")) == 1 && !isASCIILetter(before[len(before)-1]))
			if prevRaw && i < len(s) && isASCIIAlnum(s[i]) {
				b.WriteByte(c)
			} else {
				writeMermaidEntity(b, '_')
			}
		case c == '.' && hasSuffixFold(before, "www"):
			writeMermaidEntity(b, '.')
		case c == '(' && len(before) > 0 && before[len(before)-1] == ']':
			writeMermaidEntity(b, '(')
		case strings.IndexByte(mermaidRaw, c) >= 0:
			b.WriteByte(c)
		default:
			writeMermaidEntity(b, r)
		}
		first = false
	}
}

// isControl reports C0 and C1 control characters, DEL, and the bidi
// embedding, override and isolate controls (which could make a label read
// backwards).
func isControl(r rune) bool {
	return r < 0x20 || r >= 0x7f && r < 0xa0 || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// blankText reports whether s shows nothing: only spaces and control
// characters.
func blankText(s string) bool {
	for _, r := range s {
		if r != ' ' && !isControl(r) {
			return false
		}
	}
	return true
}

// hasSuffixFold reports whether s ends with the lower-case ASCII word suffix,
// ignoring case.
func hasSuffixFold(s []byte, suffix string) bool {
	if len(s) < len(suffix) {
		return false
	}
	s = s[len(s)-len(suffix):]
	for i := 0; i < len(suffix); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suffix[i] {
			return false
		}
	}
	return true
}
