package engine

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// DOT renders the machine as a Graphviz digraph, deterministically (YAML
// order). Compound and parallel states are clusters ("cluster_" + node id),
// each region a dashed cluster inside its parallel state; each composite and
// region has a start point ("i_" + its id) to its initial state, and the
// machine one named "init". Node ids are StateNodeID's; a region's id is its
// parallel state's id followed by "r" and the region's position. A transition
// to or from a composite is drawn to or from its start point with lhead or
// ltail set, so it ends at the cluster's border (Graphviz needs
// compound=true, which the graph sets). Terminal states have a double border;
// timeouts and delayed transitions are dashed. With opts.Active naming a
// state or configuration, the active states are filled.
func (m *Machine) DOT(opts DiagramOptions) string {
	w := dotWriter{m: m, opts: opts}
	if opts.Active != "" {
		if leaves, err := m.activeLeaves(opts.Active); err == nil {
			w.active = make([]bool, len(m.nodes))
			for _, l := range leaves {
				for a := l; a >= 0; a = m.nodes[a].parent {
					w.active[a] = true
				}
			}
			w.leaf = make([]bool, len(m.nodes))
			for _, l := range leaves {
				w.leaf[l] = true
			}
		}
	}
	return w.render()
}

type dotWriter struct {
	m       *Machine
	opts    DiagramOptions
	b       strings.Builder
	active  []bool // nil: nothing highlighted
	leaf    []bool
	scratch []byte
}

const (
	dotActiveFill    = "#ffe08a"
	dotActiveCluster = "#fff6d5"
)

func (w *dotWriter) render() string {
	m := w.m
	n := 256 + len(m.def.Meta.MachineName)
	for i := range m.nodes {
		n += 48 + 2*len(m.nodes[i].name)
	}
	for i := range m.trans {
		n += len(m.trans[i].sources) * (48 + 2*len(m.trans[i].trigger))
	}
	w.b.Grow(n)
	w.b.WriteString("digraph ")
	writeDOTString(&w.b, m.def.Meta.MachineName)
	w.b.WriteString(" {\n  graph [label=")
	writeDOTString(&w.b, m.def.Meta.MachineName)
	w.b.WriteString(", labelloc=t, fontname=\"Helvetica\", compound=true")
	if d := w.opts.direction(); d != "" {
		w.b.WriteString(", rankdir=")
		w.b.WriteString(d)
	}
	w.b.WriteString("];\n")
	w.b.WriteString("  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n")
	w.b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9];\n")
	w.b.WriteString("  \"init\" [shape=point, width=0.15];\n")
	for i := range m.def.States {
		if m.nodes[i].parent < 0 {
			w.state(int32(i), 1)
		}
	}
	w.b.WriteString("  \"init\" -> ")
	w.edgeEnd(m.initial)
	w.b.WriteString(";\n")
	for i := range m.trans {
		t := &m.trans[i]
		w.scratch = m.appendLabel(w.scratch[:0], t, w.opts)
		dashed := t.trigger == TimeoutTrigger && t.index >= len(m.def.Transitions) ||
			t.index < len(m.def.Transitions) && m.def.Transitions[t.index].After != nil
		for _, s := range t.sources {
			w.b.WriteString("  ")
			w.edgeEnd(s)
			w.b.WriteString(" -> ")
			w.edgeEnd(t.dest)
			w.b.WriteString(" [label=")
			writeDOTBytes(&w.b, w.scratch)
			// lhead/ltail clip at a cluster's border; Graphviz ignores them
			// (with a warning) when the other end is inside that cluster
			if m.composite(s) && !m.isAncestorOrSelf(s, t.dest) {
				w.b.WriteString(", ltail=")
				w.clusterID(s)
			}
			if m.composite(t.dest) && !m.isAncestorOrSelf(t.dest, s) {
				w.b.WriteString(", lhead=")
				w.clusterID(t.dest)
			}
			if dashed {
				w.b.WriteString(", style=dashed")
			}
			w.b.WriteString("];\n")
		}
	}
	w.b.WriteString("}\n")
	return w.b.String()
}

func (w *dotWriter) indent(depth int) {
	for range depth {
		w.b.WriteString("  ")
	}
}

// id writes a node's quoted id: StateNodeID for a state, the parallel
// state's id and "r<k>" for its k-th region.
func (w *dotWriter) id(n int32) {
	w.b.WriteByte('"')
	w.rawID(n)
	w.b.WriteByte('"')
}

func (w *dotWriter) rawID(n int32) {
	m := w.m
	nd := &m.nodes[n]
	if nd.kind == kindRegion {
		m.writeNodeID(&w.b, nd.parent)
		w.b.WriteByte('r')
		for k, r := range m.nodes[nd.parent].regions {
			if r == n {
				w.b.WriteString(strconv.Itoa(k))
			}
		}
		return
	}
	m.writeNodeID(&w.b, n)
}

func (w *dotWriter) clusterID(n int32) {
	w.b.WriteString("\"cluster_")
	w.rawID(n)
	w.b.WriteByte('"')
}

func (w *dotWriter) startID(n int32) {
	w.b.WriteString("\"i_")
	w.rawID(n)
	w.b.WriteByte('"')
}

// edgeEnd writes the node an edge starts or ends at: the state itself, or
// for a composite its start point (the first region's, for a parallel state).
func (w *dotWriter) edgeEnd(n int32) {
	nd := &w.m.nodes[n]
	switch {
	case nd.parallel() && len(nd.regions) > 0:
		w.startID(nd.regions[0])
	case w.m.composite(n):
		w.startID(n)
	default:
		w.id(n)
	}
}

func (w *dotWriter) state(n int32, depth int) {
	m := w.m
	nd := &m.nodes[n]
	if !m.composite(n) {
		w.indent(depth)
		w.id(n)
		w.b.WriteString(" [label=")
		w.nodeLabel(n)
		if nd.typ == StateTerminal {
			w.b.WriteString(", peripheries=2")
		}
		if nd.typ == StateError {
			w.b.WriteString(", color=\"#b3261e\"")
		}
		if w.active != nil && w.active[n] {
			w.b.WriteString(", style=\"rounded,filled\", fillcolor=\"" + dotActiveFill + "\"")
			if w.leaf[n] {
				w.b.WriteString(", penwidth=2")
			}
		}
		w.b.WriteString("];\n")
		return
	}
	w.indent(depth)
	w.b.WriteString("subgraph ")
	w.clusterID(n)
	w.b.WriteString(" {\n")
	w.indent(depth + 1)
	w.b.WriteString("label=")
	w.nodeLabel(n)
	w.b.WriteString(";\n")
	w.indent(depth + 1)
	if w.active != nil && w.active[n] {
		w.b.WriteString("style=\"rounded,filled\"; fillcolor=\"" + dotActiveCluster + "\";\n")
	} else {
		w.b.WriteString("style=rounded;\n")
	}
	if nd.parallel() {
		for _, r := range nd.regions {
			w.indent(depth + 1)
			w.b.WriteString("subgraph ")
			w.clusterID(r)
			w.b.WriteString(" {\n")
			w.indent(depth + 2)
			w.b.WriteString("label=")
			writeDOTString(&w.b, m.nodes[r].name)
			w.b.WriteString("; style=dashed;\n")
			w.blockBody(r, depth+2)
			w.indent(depth + 1)
			w.b.WriteString("}\n")
		}
	} else {
		w.blockBody(n, depth+1)
	}
	w.indent(depth)
	w.b.WriteString("}\n")
}

func (w *dotWriter) blockBody(n int32, depth int) {
	nd := &w.m.nodes[n]
	w.indent(depth)
	w.startID(n)
	w.b.WriteString(" [shape=point, width=0.1];\n")
	for _, c := range nd.children {
		w.state(c, depth)
	}
	if nd.initial >= 0 {
		w.indent(depth)
		w.startID(n)
		w.b.WriteString(" -> ")
		w.edgeEnd(nd.initial)
		if w.m.composite(nd.initial) {
			w.b.WriteString(" [lhead=")
			w.clusterID(nd.initial)
			w.b.WriteByte(']')
		}
		w.b.WriteString(";\n")
	}
}

// nodeLabel writes a state's quoted label: its name, and its description on
// a second line when the options ask for descriptions.
func (w *dotWriter) nodeLabel(n int32) {
	nd := &w.m.nodes[n]
	desc := ""
	if w.opts.Descriptions && nd.def >= 0 && !w.m.composite(n) {
		desc = w.m.def.States[nd.def].Description
	}
	if blankText(desc) {
		writeDOTString(&w.b, nd.name)
		return
	}
	w.b.WriteByte('"')
	writeDOTText(&w.b, nd.name)
	w.b.WriteString(`\n`)
	writeDOTText(&w.b, desc)
	w.b.WriteByte('"')
}

// writeDOTString writes s as a quoted DOT string.
func writeDOTString(b *strings.Builder, s string) {
	b.WriteByte('"')
	writeDOTText(b, s)
	b.WriteByte('"')
}

func writeDOTBytes(b *strings.Builder, s []byte) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(s[i:])
		}
		i += size
		writeDOTRune(b, r)
	}
	b.WriteByte('"')
}

// writeDOTText writes the inside of a quoted DOT string: quotes and
// backslashes escaped (so no `\N`, `\G` or `\l` escape of Graphviz applies),
// control characters as spaces, invalid UTF-8 as U+FFFD.
func writeDOTText(b *strings.Builder, s string) {
	for _, r := range s {
		writeDOTRune(b, r)
	}
}

func writeDOTRune(b *strings.Builder, r rune) {
	switch {
	case r == '"' || r == '\\':
		b.WriteByte('\\')
		b.WriteByte(byte(r))
	case isControl(r):
		b.WriteByte(' ')
	case r < utf8.RuneSelf:
		b.WriteByte(byte(r))
	default:
		b.WriteRune(r)
	}
}
