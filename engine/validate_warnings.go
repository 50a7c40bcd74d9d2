package engine

// This file finds the warnings of SPEC 2: unbound and unused guards, unused
// events, shadowed transitions, unreachable states and dead ends.

func (v *validator) warnings() {
	v.guardWarnings()
	v.eventWarnings()
	v.shadowWarnings()
	if v.structural && !v.pl.hasErrors() {
		v.graphWarnings()
	}
}

func (v *validator) guardWarnings() {
	guards := pathOf("guards")
	used := map[string]bool{}
	defined := make(map[string]bool, len(v.def.Guards)) // compiled or not
	for _, g := range v.def.Guards {
		defined[g.Name] = true
	}
	for i, t := range v.def.Transitions {
		for j, g := range t.Guards {
			if g.Name == "" {
				continue
			}
			used[g.Name] = true
			if defined[g.Name] {
				continue
			}
			if _, ok := v.guards.Lookup(g.Name); ok {
				continue
			}
			at := v.src.transition(i)
			it := v.src.guardItem(at.guards, j)
			ip := itemOf("transitions", at.item.index)
			gp := ip.field("guards")
			v.pl.warnf(CodeUnboundGuard, gp.item(int(it.item.index)), it.item.at, "the guard %q has no definition; add it under `guards:` or register it in Go (the simulator asks for its value)", g.Name)
		}
	}
	for i, g := range v.def.Guards {
		if !used[g.Name] {
			v.pl.warnf(CodeUnusedGuard, guards.field(g.Name), v.src.guardDef(i).at, "the guard %q is defined but no transition uses it", g.Name)
		}
	}
}

func (v *validator) eventWarnings() {
	used := map[string]bool{}
	for _, t := range v.triggers {
		used[t] = true
	}
	for i, e := range v.def.Events {
		if e.Name != "" && !used[e.Name] {
			at := v.src.event(i)
			v.pl.warnf(CodeUnusedEvent, itemOf("events", at.item.index), at.item.at, "the event %q is declared but no transition uses it", e.Name)
		}
	}
}

func (v *validator) shadowWarnings() {
	type key struct{ trigger, source string }
	first := map[key]int{}
	for i, t := range v.def.Transitions {
		trig := v.triggers[i]
		if trig == "" {
			continue
		}
		for _, s := range t.Source {
			if j, ok := first[key{trig, s}]; ok {
				at := v.src.transition(i)
				v.pl.warnf(CodeShadowedTransition, itemOf("transitions", at.item.index), at.item.at,
					"this transition never fires from %q on %q: transitions[%d] comes first with the same trigger and source and no guard", s, trig, v.src.transition(j).item.index)
				break
			}
		}
		if len(t.Guards) == 0 {
			for _, s := range t.Source {
				if _, ok := first[key{trig, s}]; !ok {
					first[key{trig, s}] = i
				}
			}
		}
	}
}

// graphWarnings finds unreachable and dead-end states on a sound state tree.
func (v *validator) graphWarnings() {
	n := len(v.def.States)
	reached := make([]bool, n)
	var queue []int
	var enter func(i int)
	mark := func(i int) {
		if !reached[i] {
			reached[i] = true
			queue = append(queue, i)
		}
	}
	// entering a state activates its ancestors and its default descendants
	enter = func(i int) {
		for a := i; a >= 0; a = v.parent[a] {
			mark(a)
		}
		s := v.def.States[i]
		if s.Type == StateParallel {
			for _, r := range s.Regions {
				init := r.Initial
				if init == "" && len(r.States) > 0 {
					init = r.States[0]
				}
				if k, ok := v.index[init]; ok && !reached[k] {
					enter(k)
				}
			}
			return
		}
		if c := v.defaultChild(i); c >= 0 && !reached[c] {
			enter(c)
		}
	}
	start := -1
	for i, s := range v.def.States {
		if s.Type == StateInitial && s.Parent == "" {
			start = i
			break
		}
	}
	if start < 0 {
		return
	}
	enter(start)
	bySource := map[int][]int{}
	for i, t := range v.def.Transitions {
		for _, s := range t.Source {
			if k, ok := v.index[s]; ok {
				if d, ok := v.index[t.Dest]; ok {
					bySource[k] = append(bySource[k], d)
				}
			}
		}
		_ = i
	}
	for i, s := range v.def.States {
		if s.Timeout != nil {
			if d, ok := v.index[s.Timeout.Destination]; ok {
				bySource[i] = append(bySource[i], d)
			}
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, d := range bySource[i] {
			if !reached[d] {
				enter(d)
			} else {
				// entering an already reached compound still activates its default child
				enter(d)
			}
		}
	}
	for i, s := range v.def.States {
		if !reached[i] && s.Name != "" && v.index[s.Name] == i {
			at := v.src.state(i)
			v.pl.warnf(CodeUnreachableState, itemOf("states", at.item.index), at.item.at, "the state %q cannot be reached from the initial state", s.Name)
		}
	}
	// dead ends: leaves with no way out through themselves or an ancestor
	hasOut := make([]bool, n)
	for i := range v.def.States {
		if len(bySource[i]) > 0 {
			hasOut[i] = true
		}
	}
	for i, s := range v.def.States {
		if len(v.children[i]) > 0 || s.Type == StateTerminal || s.Type == StateError || s.Type == StateParallel {
			continue
		}
		out := false
		for a := i; a >= 0 && !out; a = v.parent[a] {
			out = hasOut[a]
		}
		if !out {
			at := v.src.state(i)
			v.pl.warnf(CodeDeadEndState, itemOf("states", at.item.index), at.item.at, "the state %q has no outgoing transition and no timeout, and is not terminal; mark it `type: terminal` if it is an end state", s.Name)
		}
	}
}

// defaultChild is the child a compound state enters by default: initial_child,
// else the child typed initial, else the first child; -1 for a leaf.
func (m *model) defaultChild(i int) int {
	s := m.def.States[i]
	if s.InitialChild != "" {
		if k, ok := m.index[s.InitialChild]; ok && m.parent[k] == i {
			return k
		}
	}
	kids := m.children[i]
	if len(kids) == 0 {
		return -1
	}
	for _, k := range kids {
		if m.def.States[k].Type == StateInitial {
			return k
		}
	}
	return kids[0]
}
