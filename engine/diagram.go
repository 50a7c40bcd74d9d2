package engine

import (
	"strconv"
	"strings"
)

// DiagramOptions chooses what the Mermaid and DOT diagrams of a machine show.
// The zero value draws bare trigger labels; DefaultDiagramOptions shows guards
// and actions too.
type DiagramOptions struct {
	// Guards adds each transition's guards to its label: `trigger [g1, g2]`.
	Guards bool
	// Actions adds each transition's actions to its label: `trigger / a1, a2`.
	Actions bool
	// Descriptions adds a state's description under its name (leaf states
	// only: Mermaid rejects a description on a composite state).
	Descriptions bool
	// Direction is the layout direction: "TB", "BT", "LR" or "RL" (any case).
	// Anything else keeps the renderer's default (top to bottom).
	Direction string
	// Active is a state or parallel configuration whose states the DOT output
	// fills. Mermaid ignores it (the page highlights the rendered SVG with the
	// ids from Highlight, since Mermaid's class styles do not work inside
	// composite states), and so does DOT when it is not a state of the machine.
	Active string
}

// DefaultDiagramOptions shows guards and actions, the editor's default.
func DefaultDiagramOptions() DiagramOptions { return DiagramOptions{Guards: true, Actions: true} }

// direction normalises Direction to one of the four keywords, or "".
func (o DiagramOptions) direction() string {
	switch strings.ToUpper(strings.TrimSpace(o.Direction)) {
	case "TB", "TD":
		return "TB"
	case "BT":
		return "BT"
	case "LR":
		return "LR"
	case "RL":
		return "RL"
	}
	return ""
}

// StateNodeID is the node id of a state in the Mermaid and DOT diagrams:
// "s_" + name + "_". The prefix keeps names such as `end`, `state`, `note` or
// `class` from being read as Mermaid keywords; the trailing underscore keeps a
// state's id distinct from the ids Mermaid derives for the start and end
// pseudo-states of a composite ("<id>_start", "<id>_end"), which could
// otherwise equal the id of a state named, say, `active_start`. Every id of
// the scheme ends in "_" and no derived id does. In the rendered SVG, Mermaid
// 11 gives a state's element the id "<svg id>-state-<node id>-<n>" (and a
// composite's group also carries data-id="<node id>").
func StateNodeID(name string) string { return "s_" + name + "_" }

// RegionNodeID is the Mermaid id of the k-th region (0-based, YAML order) of
// a parallel state: "r_" + parallel state name + "_" + k + "_". The Mermaid
// diagram draws each region as a composite state labelled with the region's
// name, so that the regions carry their names; the "r_" prefix keeps these
// ids apart from the states' (StateNodeID), and k, which has no underscore,
// keeps them apart from each other.
func RegionNodeID(parallel string, k int) string {
	return "r_" + parallel + "_" + strconv.Itoa(k) + "_"
}

func (m *Machine) writeNodeID(b *strings.Builder, n int32) {
	b.WriteString("s_")
	b.WriteString(m.nodes[n].name)
	b.WriteByte('_')
}

// composite reports whether a node is drawn as a box around other states (a
// compound state, a parallel state or a region).
func (m *Machine) composite(n int32) bool { return len(m.nodes[n].children) > 0 }

// initialLeaf follows default children down from n to the leaf that entering
// n activates first (the first region's, for a parallel state).
func (m *Machine) initialLeaf(n int32) int32 {
	for {
		nd := &m.nodes[n]
		switch {
		case nd.parallel() && len(nd.regions) > 0:
			n = m.nodes[nd.regions[0]].initial
		case nd.initial >= 0:
			n = nd.initial
		default:
			return n
		}
	}
}

// stateParent is the nearest ancestor of n that is a state (skipping region
// nodes), or -1.
func (m *Machine) stateParent(n int32) int32 {
	for p := m.nodes[n].parent; p >= 0; p = m.nodes[p].parent {
		if m.nodes[p].kind == kindState {
			return p
		}
	}
	return -1
}

// formatMillis writes a delay the way people write it: 500ms, 1.5s, 2m, 1h,
// 1m30s.
func formatMillis(b []byte, ms int64) []byte {
	switch {
	case ms <= 0:
		return append(b, "0s"...)
	case ms%3_600_000 == 0:
		return append(strconv.AppendInt(b, ms/3_600_000, 10), 'h')
	case ms > 3_600_000:
		b = formatMillis(b, ms-ms%3_600_000)
		return formatMillis(b, ms%3_600_000)
	case ms%60_000 == 0:
		return append(strconv.AppendInt(b, ms/60_000, 10), 'm')
	case ms < 1000:
		return append(strconv.AppendInt(b, ms, 10), "ms"...)
	case ms < 60_000:
		b = strconv.AppendInt(b, ms/1000, 10)
		if r := ms % 1000; r != 0 {
			frac := strconv.AppendInt(nil, 1000+r, 10)[1:] // three digits
			for len(frac) > 0 && frac[len(frac)-1] == '0' {
				frac = frac[:len(frac)-1]
			}
			b = append(append(b, '.'), frac...)
		}
		return append(b, 's')
	default:
		b = formatMillis(b, ms-ms%60_000)
		return formatMillis(b, ms%60_000)
	}
}

// appendLabel writes a transition's label, unescaped: `trigger [guards] /
// actions`, with `after 5s` for a delayed transition without a trigger of its
// own and `after 5s (timeout)` for a state's timeout.
func (m *Machine) appendLabel(b []byte, t *transition, opts DiagramOptions) []byte {
	var delay int64
	if t.index < len(m.def.Transitions) {
		if d := m.def.Transitions[t.index].After; d != nil {
			delay = d.Millis
		}
	}
	switch {
	case t.trigger == TimeoutTrigger && t.index >= len(m.def.Transitions):
		b = append(b, "after "...)
		b = formatMillis(b, m.timeoutMillis(t))
		b = append(b, " (timeout)"...)
	case delay > 0 && IsSyntheticTrigger(t.trigger):
		b = append(b, "after "...)
		b = formatMillis(b, delay)
	case delay > 0:
		b = append(b, t.trigger...)
		b = append(b, " (after "...)
		b = formatMillis(b, delay)
		b = append(b, ')')
	default:
		b = append(b, t.trigger...)
	}
	if opts.Guards && len(t.guards) > 0 {
		b = append(b, " ["...)
		for i, g := range t.guards {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, g.label...)
		}
		b = append(b, ']')
	}
	if opts.Actions && len(t.actions) > 0 {
		b = append(b, " / "...)
		for i, a := range t.actions {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, a.Name...)
		}
	}
	return b
}

// timeoutMillis is the delay of an implicit timeout transition.
func (m *Machine) timeoutMillis(t *transition) int64 {
	if len(t.sources) == 0 {
		return 0
	}
	if to := m.def.States[m.nodes[t.sources[0]].def].Timeout; to != nil {
		return to.Millis()
	}
	return 0
}
