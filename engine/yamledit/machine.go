package yamledit

import (
	"gopkg.in/yaml.v3"

	"github.com/statorhq/stator/engine"
)

// machine is one edit in progress: the text's node tree beside the
// definition the engine read from the same text. The i-th entry of
// `states` (and of `transitions`) is the i-th of the definition's.
type machine struct {
	editor
	root     *yaml.Node
	def      *engine.Definition
	index    map[string]int // state name → its first entry
	statesK  *yaml.Node     // the `states` key, nil when missing
	states   *yaml.Node     // its value, dereferenced
	transK   *yaml.Node
	trans    *yaml.Node
	errorPol *yaml.Node // error_policy's mapping, or nil
	events   *yaml.Node // events' list, or nil
}

// Canonical key orders: a new key goes after the keys before it here.
var (
	stateKeys      = order{"name", "type", "description", "parent", "initial_child", "timeout", "on_enter", "on_exit", "regions"}
	transitionKeys = order{"trigger", "source", "dest", "guards", "actions", "region", "after", "description"}
	regionKeys     = order{"name", "initial", "states"}
)

// newMachine pairs the node tree with the definition. ok is false when
// they cannot be paired (the text has errors that made the engine skip an
// entry): edits need every entry readable.
func newMachine(src *source, doc *yaml.Node, def *engine.Definition, op Kind) (*machine, bool) {
	m := &machine{editor: editor{src: src, op: op}, def: def, index: map[string]int{}}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	m.root = deref(root)
	if m.root == nil || m.root.Kind != yaml.MappingNode {
		return nil, false
	}
	for _, p := range pairs(m.root) {
		switch p.key {
		case "states":
			m.statesK, m.states = p.k, p.v
		case "transitions":
			m.transK, m.trans = p.k, p.v
		case "error_policy":
			if p.v.Kind == yaml.MappingNode {
				m.errorPol = p.v
			}
		case "events":
			if p.v.Kind == yaml.SequenceNode {
				m.events = p.v
			}
		}
	}
	for i, s := range def.States {
		if _, dup := m.index[s.Name]; !dup {
			m.index[s.Name] = i
		}
	}
	aligned := func(list *yaml.Node, n int, ok func(*yaml.Node) bool) bool {
		if list == nil || list.Kind != yaml.SequenceNode {
			return n == 0
		}
		if len(list.Content) != n {
			return false
		}
		for _, c := range list.Content {
			if c = deref(c); c == nil || !ok(c) {
				return false
			}
		}
		return true
	}
	stateOK := func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode || n.Kind == yaml.MappingNode }
	transOK := func(n *yaml.Node) bool { return n.Kind == yaml.MappingNode }
	if !aligned(m.states, len(def.States), stateOK) || !aligned(m.trans, len(def.Transitions), transOK) {
		return nil, false
	}
	return m, true
}

// state is the i-th entry of `states`, dereferenced (a mapping or a name).
func (m *machine) state(i int) *yaml.Node { return deref(m.states.Content[i]) }

// transition is the j-th entry of `transitions`, dereferenced.
func (m *machine) transition(j int) *yaml.Node { return deref(m.trans.Content[j]) }

// names lists the states' names, for suggestions.
func (m *machine) names() []string {
	out := make([]string, len(m.def.States))
	for i, s := range m.def.States {
		out[i] = s.Name
	}
	return out
}

// find is the index of a state, or a refusal naming the closest one.
func (m *machine) find(field, name string) (int, error) {
	if i, ok := m.index[name]; ok && name != "" {
		return i, nil
	}
	return -1, refuse(ErrUnknownState, m.op, field, "there is no state %q%s", name, suggest(name, m.names()))
}

// stateRefs are the scalars that name a state, wherever the engine reads a
// state name: entries' name, parent, initial_child, timeout destination,
// regions' initial and states; transitions' source and dest;
// error_policy.default_fallback. Each node once (an alias repeats one).
func (m *machine) stateRefs(name string) []*yaml.Node {
	var out []*yaml.Node
	seen := map[*yaml.Node]bool{}
	add := func(n *yaml.Node) {
		if n != nil && n.Kind == yaml.ScalarNode && nameOf(n) == name && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	addNames := func(n *yaml.Node) {
		if n.Kind == yaml.SequenceNode {
			for _, c := range n.Content {
				add(deref(c))
			}
			return
		}
		add(n)
	}
	if m.states != nil && m.states.Kind == yaml.SequenceNode {
		for i := range m.states.Content {
			s := m.state(i)
			if s.Kind == yaml.ScalarNode {
				add(s)
				continue
			}
			for _, p := range pairs(s) {
				switch p.key {
				case "name", "parent", "initial_child":
					add(p.v)
				case "timeout":
					for _, q := range pairs(p.v) {
						if q.key == "destination" || q.key == "dest" {
							add(q.v)
						}
					}
				case "regions":
					if p.v.Kind != yaml.SequenceNode {
						continue
					}
					for _, r := range p.v.Content {
						for _, q := range pairs(deref(r)) {
							switch q.key {
							case "initial":
								add(q.v)
							case "states":
								addNames(q.v)
							}
						}
					}
				}
			}
		}
	}
	if m.trans != nil && m.trans.Kind == yaml.SequenceNode {
		for j := range m.trans.Content {
			for _, p := range pairs(m.transition(j)) {
				switch p.key {
				case "source":
					addNames(p.v)
				case "dest":
					add(p.v)
				}
			}
		}
	}
	if m.errorPol != nil {
		if p, ok := lookup(m.errorPol, "default_fallback"); ok {
			add(p.v)
		}
	}
	return out
}

// triggerRefs are the scalars that name a trigger: transitions' trigger and
// events' name.
func (m *machine) triggerRefs(trigger string) []*yaml.Node {
	var out []*yaml.Node
	seen := map[*yaml.Node]bool{}
	add := func(n *yaml.Node) {
		if n != nil && n.Kind == yaml.ScalarNode && nameOf(n) == trigger && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if m.trans != nil && m.trans.Kind == yaml.SequenceNode {
		for j := range m.trans.Content {
			if p, ok := lookup(m.transition(j), "trigger"); ok {
				add(p.v)
			}
		}
	}
	if m.events != nil {
		for _, c := range m.events.Content {
			ev := deref(c)
			if ev == nil {
				continue
			}
			if ev.Kind == yaml.ScalarNode {
				add(ev)
				continue
			}
			for _, p := range pairs(ev) {
				if p.key == "name" || p.key == "trigger" {
					add(p.v)
				}
			}
		}
	}
	return out
}

// regionOf finds the region of the parallel state p that lists name: the
// region's mapping and its definition.
func (m *machine) regionOf(p int, name string) (*yaml.Node, engine.RegionDef, bool) {
	for _, r := range m.def.States[p].Regions {
		if !contains(r.States, name) {
			continue
		}
		if rp, ok := lookup(m.state(p), "regions"); ok && rp.v.Kind == yaml.SequenceNode {
			for _, c := range rp.v.Content {
				n := deref(c)
				if q, ok := lookup(n, "name"); ok && nameOf(q.v) == r.Name {
					return n, r, true
				}
			}
		}
		return nil, r, false
	}
	return nil, engine.RegionDef{}, false
}

// listEdits gathers deletions of list items and of mapping keys, so that
// the edits of one list or one mapping are made together.
type listEdits struct {
	lists []*yaml.Node
	items map[*yaml.Node][]int
	keyOf map[*yaml.Node]*yaml.Node
	maps  []*yaml.Node
	keys  map[*yaml.Node][]string
}

func (l *listEdits) item(list, key *yaml.Node, i int) {
	if l.items == nil {
		l.items, l.keyOf = map[*yaml.Node][]int{}, map[*yaml.Node]*yaml.Node{}
	}
	if _, ok := l.items[list]; !ok {
		l.lists = append(l.lists, list)
	}
	l.items[list] = append(l.items[list], i)
	l.keyOf[list] = key
}

func (l *listEdits) key(m *yaml.Node, key string) {
	if l.keys == nil {
		l.keys = map[*yaml.Node][]string{}
	}
	if _, ok := l.keys[m]; !ok {
		l.maps = append(l.maps, m)
	}
	if !contains(l.keys[m], key) {
		l.keys[m] = append(l.keys[m], key)
	}
}

func (m *machine) flush(l *listEdits) {
	for _, list := range l.lists {
		m.deleteItems(list, l.keyOf[list], sortedUnique(l.items[list]))
	}
	for _, mp := range l.maps {
		m.deleteKeys(mp, l.keys[mp])
	}
}
