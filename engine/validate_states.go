package engine

import (
	"sort"
	"strings"
)

// This file checks the states: names, types, the parent tree, the initial
// state and timeouts.

func (v *validator) stateNames() {
	for i, s := range v.def.States {
		if s.Name == "" {
			continue
		}
		at := v.src.state(i)
		ip := itemOf("states", at.item.index)
		v.checkName("state", ip.field("name"), at.name, s.Name)
		if j, dup := v.index[s.Name]; dup {
			v.pl.errorf(CodeDuplicateState, ip.field("name"), at.name, "the state %q is already defined at states[%d]", s.Name, v.src.state(j).item.index)
		} else {
			v.index[s.Name] = i
		}
		if !stateTypes[s.Type] {
			v.pl.errorf(CodeInvalidStateType, ip.field("type"), at.typ, "unknown state type %q; use initial, stable, terminal, error or parallel", s.Type)
		}
		v.actionNames(ip.field("on_enter"), at.onEnter, s.OnEnter)
		v.actionNames(ip.field("on_exit"), at.onExit, s.OnExit)
	}
}

// actionNames checks the names of the actions of one list (p[j] names each).
func (v *validator) actionNames(p path, items span, actions []Action) {
	for j, a := range actions {
		if a.Name != "" && !validName(a.Name) {
			it := v.src.item(items, j)
			v.checkName("action", p.item(int(it.index)), it.at, a.Name)
		}
	}
}

func (v *validator) tree() {
	n := len(v.def.States)
	v.parent = make([]int, n)
	v.children = make([][]int, n)
	ok := true
	for i, s := range v.def.States {
		v.parent[i] = -1
		if s.Parent == "" {
			continue
		}
		at := v.src.state(i)
		ip := itemOf("states", at.item.index)
		p := v.ref(ip.field("parent"), at.parent, "parent", s.Parent)
		if p < 0 {
			ok = false
			continue
		}
		if p == i {
			v.pl.errorf(CodeParentCycle, ip.field("parent"), at.parent, "the state %q is its own parent", s.Name)
			ok = false
			continue
		}
		v.parent[i] = p
	}
	// parent cycles: walk up from each state; report each cycle once, at its last state
	reported := map[int]bool{}
	for i := range v.def.States {
		seen := map[int]bool{}
		for j := i; j >= 0; j = v.parent[j] {
			if seen[j] {
				cycle := []int{}
				for k := j; ; k = v.parent[k] {
					cycle = append(cycle, k)
					if v.parent[k] == j {
						break
					}
				}
				sort.Ints(cycle)
				last := cycle[len(cycle)-1]
				if !reported[last] {
					reported[last] = true
					names := make([]string, len(cycle))
					for x, k := range cycle {
						names[x] = v.def.States[k].Name
					}
					at := v.src.state(last)
					ip := itemOf("states", at.item.index)
					v.pl.errorf(CodeParentCycle, ip.field("parent"), at.parent, "the parents of %s form a cycle", strings.Join(names, ", "))
				}
				ok = false
				break
			}
			seen[j] = true
		}
	}
	if !ok {
		// break cycles so later walks terminate
		for i := range v.parent {
			seen := map[int]bool{}
			for j := i; j >= 0; j = v.parent[j] {
				if seen[j] {
					v.parent[i] = -1
					break
				}
				seen[j] = true
			}
		}
	}
	for i, p := range v.parent {
		if p >= 0 && v.index[v.def.States[i].Name] == i {
			v.children[p] = append(v.children[p], i)
		}
	}
	for i, s := range v.def.States {
		if s.InitialChild == "" && (s.Type != StateTerminal || len(v.children[i]) == 0) {
			continue
		}
		at := v.src.state(i)
		ip := itemOf("states", at.item.index)
		if s.InitialChild != "" {
			c := v.ref(ip.field("initial_child"), at.initialChild, "initial_child", s.InitialChild)
			if c >= 0 && v.parent[c] != i {
				v.pl.errorf(CodeInvalidInitialChild, ip.field("initial_child"), at.initialChild, "initial_child %q is not a child of %q; give it `parent: %s`", s.InitialChild, s.Name, s.Name)
				ok = false
			}
		}
		if s.Type == StateTerminal && len(v.children[i]) > 0 {
			v.pl.errorf(CodeInvalidField, ip.field("type"), at.typ, "the terminal state %q has child states; a terminal state cannot contain others", s.Name)
		}
	}
	v.structural = ok
}

func (v *validator) initial() {
	first := -1
	for i, s := range v.def.States {
		if s.Type != StateInitial || s.Parent != "" || v.index[s.Name] != i {
			continue
		}
		if first >= 0 {
			at := v.src.state(i)
			ip := itemOf("states", at.item.index)
			v.pl.errorf(CodeMultipleInitialStates, ip.field("type"), at.typ, "%q and %q are both root states with type initial; a machine starts in exactly one", v.def.States[first].Name, s.Name)
			continue
		}
		first = i
	}
	if first < 0 && len(v.def.States) > 0 {
		v.pl.errorf(CodeNoInitialState, pathOf("states"), v.src.stateList, "no root state has `type: initial`; mark the state the machine starts in")
		v.structural = false
	}
}

func (v *validator) timeouts() {
	for i, s := range v.def.States {
		if s.Timeout == nil {
			continue
		}
		at := v.src.state(i)
		ip := itemOf("states", at.item.index)
		tp := ip.field("timeout")
		v.ref(tp.field("destination"), at.timeoutDest, "timeout destination", s.Timeout.Destination)
		if s.Type == StateTerminal {
			v.pl.errorf(CodeTerminalHasTrans, tp, at.timeout, "the terminal state %q has a timeout; terminal states have no outgoing transitions", s.Name)
		}
	}
}
