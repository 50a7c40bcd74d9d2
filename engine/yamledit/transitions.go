package yamledit

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// addTransition appends {trigger, source, dest} at the end of
// `transitions`, its keys in the order of the last transition's.
func (m *machine) addTransition(op Op) {
	if _, err := m.find("source", op.Source); err != nil {
		m.fail(err)
		return
	}
	if _, err := m.find("dest", op.Dest); err != nil {
		m.fail(err)
		return
	}
	if m.transK == nil {
		m.fail(refuse(ErrUnsupported, op.Kind, "", "the machine has no `transitions:` key; add `transitions: []` first"))
		return
	}
	st, ok := m.styleOf(m.trans, m.transK)
	values := map[string]string{"trigger": op.Trigger, "source": op.Source, "dest": op.Dest}
	keys := []string{"trigger", "source", "dest"}
	if ok && st.model.Kind == yaml.MappingNode {
		var seen []string
		for i := 0; i+1 < len(st.model.Content); i += 2 {
			if k := st.model.Content[i].Value; values[k] != "" && !contains(seen, k) {
				seen = append(seen, k)
			}
		}
		for _, k := range keys {
			if !contains(seen, k) {
				seen = append(seen, k)
			}
		}
		keys = seen
	}
	kvs := make([]kv, len(keys))
	for i, k := range keys {
		kvs[i] = kv{k, m.scalarText(values[k], entryHint(st.model, k))}
	}
	fallback, fok := m.styleOf(m.states, m.statesK)
	if !fok || fallback.scalar {
		fallback = defaultStyle
	}
	flowList := m.states != nil && m.states.Style&yaml.FlowStyle != 0
	m.appendEntry(m.trans, m.transK, kvs, "", fallback, flowList)
}

// renameTrigger renames a trigger in every transition and event that uses it.
func (m *machine) renameTrigger(op Op) {
	var used []string
	for _, t := range m.def.Transitions {
		if t.Trigger != "" && !contains(used, t.Trigger) {
			used = append(used, t.Trigger)
		}
	}
	for _, ev := range m.def.Events {
		if !contains(used, ev.Name) {
			used = append(used, ev.Name)
		}
	}
	if !contains(used, op.From) {
		m.fail(refuse(ErrUnknownTrigger, op.Kind, "from", "no transition or event has the trigger %q%s", op.From, suggest(op.From, used)))
		return
	}
	if op.To == op.From {
		return
	}
	if contains(used, op.To) {
		m.fail(refuse(ErrNameTaken, op.Kind, "to", "the trigger %q is already used; choose another name (or change single transitions with update_transition)", op.To))
		return
	}
	for _, n := range m.triggerRefs(op.From) {
		m.replaceScalar(n, op.To)
	}
}

// updateTransition sets a transition's trigger, guards and actions.
func (m *machine) updateTransition(op Op) {
	j := *op.Index
	if j < 0 || j >= len(m.def.Transitions) {
		if len(m.def.Transitions) == 0 {
			m.fail(refuse(ErrUnknownTransition, op.Kind, "index", "the machine has no transitions"))
		} else {
			m.fail(refuse(ErrUnknownTransition, op.Kind, "index", "there is no transition %d: transitions has %d entries (index 0 to %d)", j, len(m.def.Transitions), len(m.def.Transitions)-1))
		}
		return
	}
	n := m.transition(j)
	t := m.def.Transitions[j]
	if op.Trigger != "" && op.Trigger != t.Trigger {
		m.setName(n, "trigger", op.Trigger, transitionKeys, nameStyle(n, "trigger", "dest"))
	}
	if op.Guards != nil {
		items := make([]listItem, len(op.Guards))
		for i, g := range op.Guards {
			items[i] = listItem{text: m.guardText(g), guard: &op.Guards[i]}
		}
		m.setList(n, "guards", items, j)
	}
	if op.Actions != nil {
		items := make([]listItem, len(op.Actions))
		for i, a := range op.Actions {
			items[i] = listItem{text: m.actionText(a), action: &op.Actions[i]}
		}
		m.setList(n, "actions", items, j)
	}
}

// listItem is one new guard or action with its text.
type listItem struct {
	text   string
	guard  *Guard
	action *Action
}

// same reports whether a written item (dereferenced) is this item.
func (it listItem) same(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if it.guard != nil {
		g, ok := readGuard(n)
		return ok && g == *it.guard
	}
	a, ok := readAction(n)
	if !ok || a.Name != it.action.Name {
		return false
	}
	return sameParams(a.Params, it.action.Params)
}

// readGuard reads a guard as the engine does: a name, or a mapping with
// `expr` (which wins) or `name`.
func readGuard(n *yaml.Node) (Guard, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		return Guard{Name: nameOf(n)}, nameOf(n) != ""
	case yaml.MappingNode:
		var g Guard
		for _, p := range pairs(n) {
			switch p.key {
			case "expr":
				if p.v.Kind == yaml.ScalarNode && !isNull(p.v) {
					g.Expr = p.v.Value
				}
			case "name":
				g.Name = nameOf(p.v)
			}
		}
		if g.Expr != "" {
			g.Name = ""
		}
		return g, g.Name != "" || g.Expr != ""
	}
	return Guard{}, false
}

// readAction reads an action: a name, or {name, params}.
func readAction(n *yaml.Node) (Action, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		return Action{Name: nameOf(n)}, nameOf(n) != ""
	case yaml.MappingNode:
		var a Action
		for _, p := range pairs(n) {
			switch p.key {
			case "name":
				a.Name = nameOf(p.v)
			case "params":
				var v map[string]any
				if p.v.Kind == yaml.MappingNode && p.v.Decode(&v) == nil {
					a.Params = v
				}
			}
		}
		return a, a.Name != ""
	}
	return Action{}, false
}

// sameParams compares params as JSON (a YAML 1 and a JSON 1.0 are equal).
func sameParams(a, b map[string]any) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// setList makes a transition's guards or actions the given items. A
// written list keeps the items that stay (with their comments): the others
// are removed and the new ones inserted where they belong. A single value
// or a list on one line is rewritten; an empty list removes the key.
func (m *machine) setList(n *yaml.Node, key string, items []listItem, j int) {
	if m.err != nil {
		return
	}
	i := explicitIndex(n, key)
	if i < 0 {
		if len(items) == 0 {
			if _, inherited := lookup(n, key); inherited {
				// only a merge key (<<) gives it: an explicit [] overrides it
				m.insertKey(n, key, []string{"[]"}, transitionKeys)
			}
			return
		}
		m.insertKey(n, key, m.newListLines(key, items, j, n.Style&yaml.FlowStyle != 0), transitionKeys)
		return
	}
	k, v := deref(n.Content[i]), deref(n.Content[i+1])
	if len(items) == 0 {
		m.deleteKeys(n, []string{key})
		return
	}
	if v.Kind != yaml.SequenceNode {
		if len(items) == 1 && items[0].same(v) {
			return
		}
		m.replaceValue(v, k.Column-1, m.flowList(items))
		return
	}
	// the longest common subsequence of written and new items stays
	old := v.Content
	lcs := make([][]int, len(old)+1)
	for x := range lcs {
		lcs[x] = make([]int, len(items)+1)
	}
	for x := len(old) - 1; x >= 0; x-- {
		for y := len(items) - 1; y >= 0; y-- {
			if items[y].same(deref(old[x])) {
				lcs[x][y] = lcs[x+1][y+1] + 1
			} else {
				lcs[x][y] = max(lcs[x+1][y], lcs[x][y+1])
			}
		}
	}
	var drop []int
	before := make(map[int][]string) // old index (len = at the end) → new items before it
	x, y := 0, 0
	for x < len(old) || y < len(items) {
		switch {
		case x < len(old) && y < len(items) && items[y].same(deref(old[x])):
			x, y = x+1, y+1
		case y < len(items) && (x == len(old) || lcs[x][y+1] >= lcs[x+1][y]):
			before[x] = append(before[x], items[y].text)
			y++
		default:
			drop = append(drop, x)
			x++
		}
	}
	if len(drop) == 0 && len(before) == 0 {
		return
	}
	flow := v.Style&yaml.FlowStyle != 0
	if flow {
		end := m.end(v, -1)
		oneLine := m.src.line(m.src.valueStart(v)) == m.src.line(end-1)
		both := len(drop) > 0 && len(before) > 0
		if !m.src.hasComment(m.src.valueStart(v), end) && (oneLine || both || len(drop) == len(old)) {
			m.replaceValue(v, -1, m.flowList(items))
			return
		}
		if both || len(drop) == len(old) {
			m.fail(refuse(ErrUnsupported, m.op, key, "the %s list at line %d has comments inside; change it in the text", key, v.Line))
			return
		}
	}
	if len(drop) == len(old) {
		k = nil // every item goes and new ones come: no `[]` in between
	}
	m.deleteItems(v, k, drop)
	if flow {
		spans := m.itemSpans(v)
		for at := 0; at <= len(old); at++ {
			if texts := before[at]; len(texts) > 0 {
				m.insertFlow(spans, m.src.valueStart(v), at, strings.Join(texts, ", "))
			}
		}
		return
	}
	spans := m.itemSpans(v)
	ind := strings.Repeat(" ", v.Column-1)
	for at := 0; at <= len(old); at++ {
		texts := before[at]
		if len(texts) == 0 {
			continue
		}
		lines := make([]string, len(texts))
		for q, t := range texts {
			lines[q] = ind + "- " + t
		}
		if at < len(old) {
			m.insertLines(m.src.lineStart(m.dash(v, old[at])), lines)
		} else {
			m.insertLines(m.src.nextLine(spans[len(spans)-1].end-1), lines)
		}
	}
}

// flowList writes items as a flow list.
func (m *machine) flowList(items []listItem) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = it.text
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// newListLines writes a new guards or actions value: a block list when
// another transition writes that key as a block list (and the transition
// is a block mapping), else a flow list.
func (m *machine) newListLines(key string, items []listItem, j int, flowMap bool) []string {
	if !flowMap && !m.src.json {
		for x := range m.trans.Content {
			if x == j {
				continue
			}
			p, ok := lookup(m.transition(x), key)
			if !ok || p.v.Kind != yaml.SequenceNode || p.v.Style&yaml.FlowStyle != 0 || len(p.v.Content) == 0 {
				continue
			}
			off := max(0, p.v.Column-p.k.Column)
			lines := []string{""}
			for _, it := range items {
				lines = append(lines, fmt.Sprintf("%s- %s", strings.Repeat(" ", off), it.text))
			}
			return lines
		}
	}
	return []string{m.flowList(items)}
}
