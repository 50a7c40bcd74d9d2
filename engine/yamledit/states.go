package yamledit

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/statorhq/stator/engine"
)

// addState appends a state at the end of `states`.
func (m *machine) addState(op Op) {
	if _, ok := m.index[op.Name]; ok {
		m.fail(refuse(ErrNameTaken, op.Kind, "name", "a state named %q exists already; choose another name", op.Name))
		return
	}
	switch op.Type {
	case "", engine.StateStable, engine.StateInitial, engine.StateTerminal, engine.StateError:
	case engine.StateParallel:
		m.fail(refuse(ErrStateType, op.Kind, "type", "a parallel state needs regions, which this edit cannot write; add it in the text"))
		return
	default:
		m.fail(refuse(ErrStateType, op.Kind, "type", "unknown state type %q; use stable, initial, terminal or error", op.Type))
		return
	}
	if op.Parent != "" {
		p, err := m.find("parent", op.Parent)
		if err != nil {
			m.fail(err)
			return
		}
		if m.def.States[p].Type == engine.StateParallel {
			m.fail(refuse(ErrStateType, op.Kind, "parent", "%q is a parallel state: its children belong to its regions, which this edit cannot change; add the state in the text", op.Parent))
			return
		}
	}
	if m.statesK == nil {
		m.fail(refuse(ErrUnsupported, op.Kind, "", "the machine has no `states:` key; add one first"))
		return
	}
	st, _ := m.styleOf(m.states, m.statesK)
	hint := entryHint(st.model, "name")
	kvs := []kv{{"name", m.scalarText(op.Name, hint)}}
	if op.Type != "" {
		kvs = append(kvs, kv{"type", m.scalarText(op.Type, hint)})
	}
	if op.Parent != "" {
		kvs = append(kvs, kv{"parent", m.scalarText(op.Parent, hint)})
	}
	bare := ""
	if len(kvs) == 1 {
		bare = kvs[0].val
	}
	fallback, ok := m.styleOf(m.trans, m.transK)
	if !ok || fallback.scalar {
		fallback = defaultStyle
	}
	m.appendEntry(m.states, m.statesK, kvs, bare, fallback, false)
}

// entryHint is the quoting of a model entry's value for key (a bare name
// entry is its own value).
func entryHint(model *yaml.Node, key string) yaml.Style {
	if model == nil {
		return 0
	}
	if model.Kind == yaml.ScalarNode {
		return model.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
	}
	return nameStyle(model, key)
}

// renameState renames a state and every reference to it.
func (m *machine) renameState(op Op) {
	if _, err := m.find("from", op.From); err != nil {
		m.fail(err)
		return
	}
	if op.To == op.From {
		return
	}
	if _, ok := m.index[op.To]; ok {
		m.fail(refuse(ErrNameTaken, op.Kind, "to", "a state named %q exists already; choose another name", op.To))
		return
	}
	for _, n := range m.stateRefs(op.From) {
		m.replaceScalar(n, op.To)
	}
}

// deleteState removes a state, the transitions to it and those whose only
// source it is, its name from other source lists and region lists, the
// timeouts that lead to it and an initial_child naming it.
func (m *machine) deleteState(op Op) {
	i, err := m.find("name", op.Name)
	if err != nil {
		m.fail(err)
		return
	}
	s := m.def.States[i]
	var kids []string
	for _, c := range m.def.States {
		if c.Parent == op.Name && c.Name != op.Name {
			kids = append(kids, c.Name)
		}
	}
	if len(kids) > 0 {
		m.fail(refuse(ErrHasChildren, op.Kind, "name", "%q has child states (%s); delete them or move them out (set_parent) first", op.Name, strings.Join(kids, ", ")))
		return
	}
	if s.Type == engine.StateInitial && s.Parent == "" {
		roots := 0
		for _, c := range m.def.States {
			if c.Type == engine.StateInitial && c.Parent == "" {
				roots++
			}
		}
		if roots <= 1 {
			m.fail(refuse(ErrInitialState, op.Kind, "name", "%q is the initial state; make another state initial first (set_initial), then delete it", op.Name))
			return
		}
	}
	for _, p := range m.def.States {
		for _, r := range p.Regions {
			if r.Initial == op.Name {
				m.fail(refuse(ErrInitialState, op.Kind, "name", "%q is the initial state of region %q of %q; make another of its states initial first (set_initial)", op.Name, r.Name, p.Name))
				return
			}
		}
	}
	if ep := m.def.ErrorPolicy; ep != nil && ep.DefaultFallback == op.Name {
		m.fail(refuse(ErrInUse, op.Kind, "name", "%q is error_policy.default_fallback; name another state there first", op.Name))
		return
	}
	var l listEdits
	for k, c := range m.def.States {
		if c.Name == op.Name {
			l.item(m.states, m.statesK, k)
			continue
		}
		n := m.state(k)
		if c.Timeout != nil && c.Timeout.Destination == op.Name {
			l.key(n, "timeout")
		}
		if c.InitialChild == op.Name {
			l.key(n, "initial_child")
		}
		if c.Type == engine.StateParallel {
			m.dropFromRegions(&l, n, op.Name)
		}
	}
	for j, t := range m.def.Transitions {
		left := 0
		for _, src := range t.Source {
			if src != op.Name {
				left++
			}
		}
		switch {
		case t.Dest == op.Name || (len(t.Source) > 0 && left == 0):
			l.item(m.trans, m.transK, j)
		case left < len(t.Source):
			p, ok := lookup(m.transition(j), "source")
			if !ok || p.v.Kind != yaml.SequenceNode {
				continue
			}
			for x, c := range p.v.Content {
				if nameOf(deref(c)) == op.Name {
					l.item(p.v, p.k, x)
				}
			}
		}
	}
	m.flush(&l)
}

// dropFromRegions removes name from the `states` lists of a parallel
// state's regions.
func (m *machine) dropFromRegions(l *listEdits, n *yaml.Node, name string) {
	rp, ok := lookup(n, "regions")
	if !ok || rp.v.Kind != yaml.SequenceNode {
		return
	}
	for _, c := range rp.v.Content {
		q, ok := lookup(deref(c), "states")
		if !ok || q.v.Kind != yaml.SequenceNode {
			continue
		}
		for x, it := range q.v.Content {
			if nameOf(deref(it)) == name {
				l.item(q.v, q.k, x)
			}
		}
	}
}

// setType gives a state a type: its type's value is rewritten, or `type`
// is added after its name; a bare name entry becomes {name, type}.
func (m *machine) setType(i int, typ string) {
	n := m.state(i)
	if n.Kind == yaml.ScalarNode {
		m.replaceValue(n, -1, m.flowMap(entryStyle{}, []kv{{"name", m.scalarText(n.Value, n.Style)}, {"type", m.scalarText(typ, 0)}}))
		return
	}
	m.setName(n, "type", typ, stateKeys, nameStyle(n, "name"))
}

// setInitial makes a state the one entered first at its level: the
// machine's initial state for a top-level state, its compound parent's
// initial_child, or its region's initial in a parallel state.
func (m *machine) setInitial(op Op) {
	i, err := m.find("name", op.Name)
	if err != nil {
		m.fail(err)
		return
	}
	s := m.def.States[i]
	if s.Parent == "" {
		switch s.Type {
		case engine.StateInitial, engine.StateStable:
		default:
			m.fail(refuse(ErrStateType, op.Kind, "name", "%q is a %s state; only a stable state can become the initial state (change its type in the text first)", op.Name, s.Type))
			return
		}
		for k, c := range m.def.States {
			if k != i && c.Type == engine.StateInitial && c.Parent == "" {
				m.setType(k, engine.StateStable)
			}
		}
		if s.Type != engine.StateInitial {
			m.setType(i, engine.StateInitial)
		}
		return
	}
	p, err := m.find("name", s.Parent)
	if err != nil {
		m.fail(refuse(ErrUnknownState, op.Kind, "name", "the parent %q of %q is not a state; fix the text first", s.Parent, op.Name))
		return
	}
	ps := m.def.States[p]
	if ps.Type != engine.StateParallel {
		if ps.InitialChild != op.Name {
			m.setName(m.state(p), "initial_child", op.Name, stateKeys, nameStyle(m.state(p), "name"))
		}
		return
	}
	rn, r, ok := m.regionOf(p, op.Name)
	if !ok || rn == nil {
		m.fail(refuse(ErrUnsupported, op.Kind, "name", "%q is in none of the regions of %q; list it under a region's states first", op.Name, ps.Name))
		return
	}
	if r.Initial != op.Name {
		m.setName(rn, "initial", op.Name, regionKeys, nameStyle(rn, "name", "initial"))
	}
}

// setParent moves a state into a compound state (or, with no parent, to the
// top level): its `parent` is set, added or removed. It leaves a region of
// its old parallel parent, and its old parent's initial_child naming it is
// removed.
func (m *machine) setParent(op Op) {
	i, err := m.find("name", op.Name)
	if err != nil {
		m.fail(err)
		return
	}
	s := m.def.States[i]
	if op.Parent == op.Name {
		m.fail(refuse(ErrParentCycle, op.Kind, "parent", "a state cannot be its own parent"))
		return
	}
	if op.Parent != "" {
		p, err := m.find("parent", op.Parent)
		if err != nil {
			m.fail(err)
			return
		}
		chain := []string{op.Parent}
		for a, steps := m.def.States[p].Parent, 0; a != "" && steps <= len(m.def.States); steps++ {
			chain = append(chain, a)
			if a == op.Name {
				for x, y := 0, len(chain)-1; x < y; x, y = x+1, y-1 {
					chain[x], chain[y] = chain[y], chain[x]
				}
				m.fail(refuse(ErrParentCycle, op.Kind, "parent", "%q is inside %q (%s), so %q cannot move into it: that would be a parent cycle", op.Parent, op.Name, strings.Join(chain, " > "), op.Name))
				return
			}
			k, ok := m.index[a]
			if !ok {
				break
			}
			a = m.def.States[k].Parent
		}
		if m.def.States[p].Type == engine.StateParallel {
			m.fail(refuse(ErrStateType, op.Kind, "parent", "%q is a parallel state: its children belong to its regions, which this edit cannot change; move the state in the text", op.Parent))
			return
		}
	}
	if s.Parent == op.Parent {
		return
	}
	var l listEdits
	if old, ok := m.index[s.Parent]; ok && s.Parent != "" {
		on := m.state(old)
		switch {
		case m.def.States[old].Type == engine.StateParallel:
			if _, r, ok := m.regionOf(old, op.Name); ok && r.Initial == op.Name {
				m.fail(refuse(ErrInitialState, op.Kind, "name", "%q is the initial state of region %q of %q; make another of its states initial first (set_initial)", op.Name, r.Name, s.Parent))
				return
			}
			m.dropFromRegions(&l, on, op.Name)
		case m.def.States[old].InitialChild == op.Name:
			l.key(on, "initial_child")
		}
	}
	n := m.state(i)
	switch {
	case op.Parent == "":
		l.key(n, "parent")
	case n.Kind == yaml.ScalarNode:
		m.replaceValue(n, -1, m.flowMap(entryStyle{}, []kv{{"name", m.scalarText(n.Value, n.Style)}, {"parent", m.scalarText(op.Parent, n.Style)}}))
	default:
		m.setName(n, "parent", op.Parent, stateKeys, nameStyle(n, "name"))
	}
	m.flush(&l)
}
