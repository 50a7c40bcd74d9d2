package engine

import (
	"fmt"
	"strings"
)

// config is an active configuration inside a parallel state: one active state
// per region, in region (YAML) order.
type config struct {
	par    int32
	leaves []int32
	buf    [4]int32 // holds leaves for up to four regions (one allocation)
}

// parseConfig reads pystator's "<parallel>:<region>=<state>,..." form. Regions
// may come in any order but each must appear exactly once.
func (m *Machine) parseConfig(s string) (*config, error) {
	name, rest, _ := strings.Cut(s, ":")
	pi, ok := m.stateIdx[name]
	if !ok || !m.nodes[pi].parallel() {
		return nil, fmt.Errorf("%q is not a configuration: %q is not a parallel state of %s", s, name, m.def.Meta.MachineName)
	}
	pn := &m.nodes[pi]
	c := &config{par: pi}
	if len(pn.regions) <= len(c.buf) {
		c.leaves = c.buf[:len(pn.regions)]
	} else {
		c.leaves = make([]int32, len(pn.regions))
	}
	for i := range c.leaves {
		c.leaves[i] = -1
	}
	for more := true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		rname, leaf, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not a configuration: %q should be <region>=<state>", s, part)
		}
		k := -1
		for i, r := range pn.regions {
			if m.nodes[r].name == rname {
				k = i
			}
		}
		if k < 0 {
			return nil, fmt.Errorf("%q names the region %q, which %q does not have", s, rname, name)
		}
		if c.leaves[k] >= 0 {
			return nil, fmt.Errorf("%q names the region %q twice", s, rname)
		}
		li, ok := m.stateIdx[leaf]
		if !ok || !m.isAncestorOrSelf(pn.regions[k], li) {
			return nil, fmt.Errorf("%q puts %q in the region %q, which has no such state", s, leaf, rname)
		}
		c.leaves[k] = li
	}
	for i, l := range c.leaves {
		if l < 0 {
			return nil, fmt.Errorf("%q is missing the region %q", s, m.nodes[pn.regions[i]].name)
		}
	}
	return c, nil
}

// exampleConfig is the configuration with state n in its region and the other
// regions at their initial states, for error messages.
func (m *Machine) exampleConfig(n int32) string {
	par := m.nodes[n].par
	ent := m.entered(par, n)
	return m.configString(m.leavesOf(ent, par, n))
}

// regionMove is one region's chosen transition on an event.
type regionMove struct {
	region int // position in the parallel state's regions
	from   int32
	c      cand
}

// processConfig handles an event in a parallel configuration (SPEC 3.6).
func (m *Machine) processConfig(x *run, r *Result, cfg *config, ti int32) {
	pn := &m.nodes[cfg.par]
	var buf [4]regionMove // most parallel states have few regions: no allocation
	moves := buf[:0]
	leaving := false
regions:
	for k, leaf := range cfg.leaves {
		rn := pn.regions[k]
		for a := leaf; a >= 0 && a != rn; a = m.nodes[a].parent {
			for _, c := range m.table[tableKey(a, ti)] {
				if c.t.region >= 0 && c.t.region != rn {
					continue
				}
				if !x.candidate(r, c) {
					if x.notFound != "" || x.stop != stopNone {
						return
					}
					continue
				}
				mv := regionMove{region: k, from: leaf, c: c}
				moves = append(moves, mv)
				if c.p.lca < 0 || m.nodes[c.p.lca].region != rn {
					leaving = true
					break regions
				}
				continue regions
			}
		}
	}
	if leaving {
		m.applyLeaving(r, cfg, moves[:len(moves)-1], moves[len(moves)-1])
		return
	}
	if len(moves) > 0 {
		m.applyRegionMoves(r, cfg, moves)
		return
	}
	// no region handled it: the parallel state and its ancestors
	for a := cfg.par; a >= 0; a = m.nodes[a].parent {
		for _, c := range m.table[tableKey(a, ti)] {
			if x.candidate(r, c) {
				m.applyLeaving(r, cfg, nil, regionMove{region: -1, from: cfg.par, c: c})
				return
			}
			if x.notFound != "" || x.stop != stopNone {
				return
			}
		}
	}
}

// exitConfig lists the exit actions of leaving every region (YAML order,
// innermost first) and then the parallel state and its ancestors below lca.
func (m *Machine) exitConfig(cfg *config, lca int32) []Action {
	var out []Action
	pn := &m.nodes[cfg.par]
	for k, leaf := range cfg.leaves {
		out = m.exitChain(out, leaf, pn.regions[k])
	}
	if lca != cfg.par {
		out = m.exitChain(out, cfg.par, lca)
	}
	return out
}

// applyLeaving applies a transition whose domain is the parallel state or above
// it: every region is exited. Region moves before it keep their transition
// actions; it pre-empts the regions after it.
func (m *Machine) applyLeaving(r *Result, cfg *config, before []regionMove, mv regionMove) {
	t, p := mv.c.t, mv.c.p
	r.Success = true
	r.OnExitActions = m.exitConfig(cfg, p.lca)
	var trans []Action
	for _, b := range before {
		trans = append(trans, b.c.t.actions...)
		r.RegionResults = append(r.RegionResults, m.regionResult(cfg, b, ""))
	}
	trans = append(trans, t.actions...)
	r.ActionsToExecute = trans
	r.OnEnterActions = p.enterActions
	r.Timers = p.timers
	r.TargetState = p.target
	if mv.region >= 0 {
		r.RegionResults = append(r.RegionResults, m.regionResult(cfg, mv, p.target))
	}
	r.AllActions = concatNames(r.OnExitActions, r.ActionsToExecute, r.OnEnterActions)
	r.Metadata.TransitionDescription = t.description
	r.Metadata.Transition = t.meta
}

// applyRegionMoves applies transitions that stay inside their regions: all exit
// actions (region order), then all transition actions, then all enter actions.
func (m *Machine) applyRegionMoves(r *Result, cfg *config, moves []regionMove) {
	// cfg was parsed for this call alone: its leaves become the target's
	leaves := cfg.leaves
	// size the lists first, so that each is one allocation (none when empty)
	nExit, nTrans, nEnter, nTimers := 0, 0, 0, 0
	for _, mv := range moves {
		p := mv.c.p
		for a := mv.from; a >= 0 && a != p.lca; a = m.nodes[a].parent {
			nExit += len(m.nodes[a].onExit)
		}
		nTrans += len(mv.c.t.actions)
		nEnter += len(p.enterActions)
		nTimers += len(p.timers)
	}
	exits, trans, enters := actionList(nExit), actionList(nTrans), actionList(nEnter)
	var timers []Timer
	if nTimers > 0 {
		timers = make([]Timer, 0, nTimers)
	}
	for _, mv := range moves {
		p := mv.c.p
		exits = m.exitChain(exits, mv.from, p.lca)
		trans = append(trans, mv.c.t.actions...)
		enters = append(enters, p.enterActions...)
		timers = append(timers, p.timers...)
		leaves[mv.region] = p.leaves[0]
	}
	r.Success = true
	r.OnExitActions, r.ActionsToExecute, r.OnEnterActions, r.Timers = exits, trans, enters, timers
	r.AllActions = concatNames(exits, trans, enters)
	r.TargetState = m.configString(leaves)
	r.RegionResults = make([]RegionResult, 0, len(moves))
	for _, mv := range moves {
		r.RegionResults = append(r.RegionResults, m.regionResult(cfg, mv, m.nodes[leaves[mv.region]].name))
	}
	r.Metadata.TransitionDescription = moves[0].c.t.description
	r.Metadata.Transition = moves[0].c.t.meta
}

func (m *Machine) regionResult(cfg *config, mv regionMove, target string) RegionResult {
	if target == "" && len(mv.c.p.leaves) > 0 {
		target = m.nodes[mv.c.p.leaves[0]].name
	}
	return RegionResult{
		Region:      m.nodes[m.nodes[cfg.par].regions[mv.region]].name,
		SourceState: m.nodes[mv.from].name,
		TargetState: target,
		Transition:  mv.c.t.index,
	}
}

// actionList is an empty list with room for n actions, nil for none.
func actionList(n int) []Action {
	if n == 0 {
		return nil
	}
	return make([]Action, 0, n)
}

func concatNames(lists ...[]Action) []string {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]string, 0, n)
	for _, l := range lists {
		for _, a := range l {
			out = append(out, a.Name)
		}
	}
	return out
}

// ---- reading a state string ----

// activeLeaves resolves a state string (a state or a configuration) to the
// active states it names.
func (m *Machine) activeLeaves(state string) ([]int32, error) {
	if i, ok := m.stateIdx[state]; ok {
		return []int32{i}, nil
	}
	if strings.IndexByte(state, ':') >= 0 {
		c, err := m.parseConfig(state)
		if err != nil {
			return nil, err
		}
		return c.leaves, nil
	}
	return nil, fmt.Errorf("%q is not a state of %s: %w", state, m.def.Meta.MachineName, ErrUndefinedState)
}

// ActiveStates lists every state active in a state or configuration: the
// leaves and all their ancestors, outermost first, in YAML order. The diagram
// highlights these.
func (m *Machine) ActiveStates(state string) ([]string, error) {
	leaves, err := m.activeLeaves(state)
	if err != nil {
		return nil, err
	}
	active := map[int32]bool{}
	for _, l := range leaves {
		for a := l; a >= 0; a = m.nodes[a].parent {
			if m.nodes[a].kind == kindState {
				active[a] = true
			}
		}
	}
	out := make([]string, 0, len(active))
	for i := range m.def.States {
		if active[int32(i)] {
			out = append(out, m.nodes[i].name)
		}
	}
	return out, nil
}

// IsActive reports whether the named state is active in a state or
// configuration (it is the state, one of its regions' states, or an ancestor).
func (m *Machine) IsActive(state, name string) bool {
	leaves, err := m.activeLeaves(state)
	if err != nil {
		return false
	}
	n, ok := m.stateIdx[name]
	if !ok {
		return false
	}
	for _, l := range leaves {
		if m.isAncestorOrSelf(n, l) {
			return true
		}
	}
	return false
}

// TriggersFrom lists the user triggers that have a candidate transition from a
// state or configuration (through the state, its regions, or an ancestor), in
// order of first appearance in the machine. Guards are not evaluated.
func (m *Machine) TriggersFrom(state string) []string {
	leaves, err := m.activeLeaves(state)
	if err != nil {
		return []string{}
	}
	has := map[string]bool{}
	for _, l := range leaves {
		for a := l; a >= 0; a = m.nodes[a].parent {
			if m.nodes[a].kind != kindState {
				continue
			}
			for _, t := range m.trans {
				if !IsSyntheticTrigger(t.trigger) && containsNode(t.sources, a) {
					has[t.trigger] = true
				}
			}
		}
	}
	out := []string{}
	for _, t := range m.order {
		if has[t] {
			out = append(out, t)
		}
	}
	return out
}

func containsNode(list []int32, n int32) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
