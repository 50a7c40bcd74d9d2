package engine

import (
	"sort"
	"strconv"
	"strings"
)

// Machine is a compiled state machine. It is immutable and safe for concurrent
// use: Process may be called from many goroutines at once.
type Machine struct {
	def      *Definition
	warnings Problems

	nodes    []node
	stateIdx map[string]int32
	initial  int32 // the root initial state

	trans    []transition
	trig     map[string]int32 // every trigger a transition uses, synthetic ones included
	table    map[uint64][]cand
	triggers []string // user triggers, sorted (available_triggers)
	order    []string // user triggers in order of first appearance

	start plan // entering the machine: initial leaf or configuration, with timers

	guards *GuardRegistry
	pool   vmPool

	// kept to re-validate when guards are rebound
	src    []byte
	limits Limits
}

type nodeKind uint8

const (
	kindState nodeKind = iota
	kindRegion
)

// node is a state, or a region of a parallel state (a virtual node between the
// parallel state and its region's states, so that the least common ancestor of
// two states of one region stays inside the region).
type node struct {
	name     string
	kind     nodeKind
	typ      string
	parent   int32 // -1 for roots
	children []int32
	initial  int32 // default child of a compound state or region; -1 otherwise
	par      int32 // the parallel state this node is inside, -1 if none
	region   int32 // the region node this node is inside (itself for a region node), -1 if none
	regions  []int32
	sorted   []int // region positions ordered by region name, for configuration strings
	onEnter  []Action
	onExit   []Action
	timers   []Timer
	def      int // index in Definition.States, -1 for region nodes
}

func (n *node) parallel() bool { return n.typ == StateParallel }

// transition is a compiled transition (explicit ones in YAML order, then the
// implicit timeouts in state order).
type transition struct {
	index       int
	trigger     string
	sources     []int32
	dest        int32
	destName    string
	region      int32 // region node a `region:` restricts it to, -1 if none
	guards      []guard
	actions     []Action
	actionNames []string
	description string
	meta        map[string]any
	plans       []plan // one per source
}

// plan is everything about taking a transition from one source that does not
// depend on the current state: the local LCA, what is entered and armed, and,
// when the current state is the source itself, the exits and all_actions.
type plan struct {
	source       int32
	lca          int32
	enterActions []Action
	enterNames   []string
	timers       []Timer
	leaves       []int32 // leaves the entry ends in
	static       bool    // the entry decides the whole target (not a move inside one region)
	target       string  // the target when static
	exitActions  []Action
	all          []string
	// desc holds exits and all_actions for current states below the source
	// (inherited transitions), precomputed within a budget.
	desc map[int32]exitInfo
}

type exitInfo struct {
	exits []Action
	all   []string
}

// descBudget bounds how many (descendant, transition) exit chains are
// precomputed; beyond it they are computed per call.
const descBudget = 1 << 17

// cand is a candidate transition at one state: the transition and its plan for
// that source.
type cand struct {
	t *transition
	p *plan
}

func tableKey(state, trigger int32) uint64 {
	return uint64(uint32(state))<<32 | uint64(uint32(trigger))
}

// compile builds the machine from a definition that validated without errors.
func compile(md *model, guards *GuardRegistry) *Machine {
	def := md.def
	m := &Machine{def: def, stateIdx: make(map[string]int32, len(def.States)), trig: map[string]int32{}, guards: guards}
	m.buildNodes(md)
	m.buildTransitions(md)
	m.buildTimers()
	// one allocation for every plan and every candidate list: a large machine
	// would otherwise pay one per transition and one per (state, trigger)
	sources := 0
	for i := range m.trans {
		sources += len(m.trans[i].sources)
	}
	plans := make([]plan, sources)
	cands := make([]cand, 0, sources)
	m.table = make(map[uint64][]cand, sources)
	for i := range m.trans {
		t := &m.trans[i]
		t.plans, plans = plans[:len(t.sources):len(t.sources)], plans[len(t.sources):]
		for j, s := range t.sources {
			t.plans[j] = m.makePlan(t, s)
			k := tableKey(s, m.trig[t.trigger])
			c := cand{t: t, p: &t.plans[j]}
			if prev, ok := m.table[k]; ok {
				m.table[k] = append(prev, c) // full capacity: copies, never overwrites a neighbour
				continue
			}
			cands = append(cands, c)
			m.table[k] = cands[len(cands)-1 : len(cands) : len(cands)]
		}
	}
	m.start = m.entryPlan(-1, m.initial)
	m.precomputeDescendants()
	return m
}

// precomputeDescendants fills plan.desc for current states below a transition's
// source, outside parallel states, until the budget is spent.
func (m *Machine) precomputeDescendants() {
	budget := descBudget
	var stack []int32
	for i := range m.trans {
		t := &m.trans[i]
		for j := range t.plans {
			p := &t.plans[j]
			stack = append(stack[:0], m.nodes[p.source].children...)
			for len(stack) > 0 {
				n := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				nd := &m.nodes[n]
				if nd.par >= 0 || nd.parallel() && n != p.source {
					continue // states in regions are processed by configuration
				}
				stack = append(stack, nd.children...)
				if budget == 0 {
					return
				}
				budget--
				exits := capped(m.exitChain(nil, n, p.lca))
				if p.desc == nil {
					p.desc = map[int32]exitInfo{}
				}
				p.desc[n] = exitInfo{exits: exits, all: capped(concatNames(exits, t.actions, p.enterActions))}
			}
		}
	}
}

func (m *Machine) buildNodes(md *model) {
	def := md.def
	m.nodes = make([]node, len(def.States), len(def.States)+8)
	foundInitial := false
	for i := range def.States {
		s := &def.States[i]
		m.stateIdx[s.Name] = int32(i)
		m.nodes[i] = node{name: s.Name, kind: kindState, typ: s.Type, parent: int32(md.parent[i]), initial: -1, par: -1, region: -1,
			onEnter: capped(s.OnEnter), onExit: capped(s.OnExit), def: i}
		if s.Type == StateInitial && s.Parent == "" && !foundInitial {
			m.initial, foundInitial = int32(i), true
		}
	}
	for i := range def.States {
		if c := md.defaultChild(i); c >= 0 && def.States[i].Type != StateParallel {
			m.nodes[i].initial = int32(c)
		}
		for _, c := range md.children[i] {
			m.nodes[i].children = append(m.nodes[i].children, int32(c))
		}
	}
	// regions become virtual nodes between a parallel state and its states
	for i := range def.States {
		s := &def.States[i]
		if s.Type != StateParallel {
			continue
		}
		p := &m.nodes[i]
		p.children = nil
		for _, r := range s.Regions {
			ri := int32(len(m.nodes))
			rn := node{name: r.Name, kind: kindRegion, typ: "region", parent: int32(i), initial: -1, par: int32(i), region: ri, def: -1}
			for _, name := range r.States {
				k := m.stateIdx[name]
				rn.children = append(rn.children, k)
				m.nodes[k].parent = ri
			}
			init := r.Initial
			if init == "" {
				init = r.States[0]
			}
			rn.initial = m.stateIdx[init]
			m.nodes = append(m.nodes, rn)
			m.nodes[i].children = append(m.nodes[i].children, ri)
			m.nodes[i].regions = append(m.nodes[i].regions, ri)
		}
		p = &m.nodes[i]
		p.sorted = make([]int, len(p.regions))
		for k := range p.sorted {
			p.sorted[k] = k
		}
		sort.Slice(p.sorted, func(a, b int) bool {
			return m.nodes[p.regions[p.sorted[a]]].name < m.nodes[p.regions[p.sorted[b]]].name
		})
	}
	// which parallel state and region each node is inside
	for i := range m.nodes {
		for a := m.nodes[i].parent; a >= 0; a = m.nodes[a].parent {
			if m.nodes[a].kind == kindRegion && m.nodes[i].region < 0 {
				m.nodes[i].region = a
			}
			if m.nodes[a].parallel() {
				m.nodes[i].par = a
				break
			}
		}
	}
}

func capped[T any](s []T) []T { return s[:len(s):len(s)] }

func (m *Machine) buildTransitions(md *model) {
	def := md.def
	n := len(def.Transitions)
	for _, s := range def.States {
		if s.Timeout != nil {
			n++
		}
	}
	m.trans = make([]transition, 0, n)
	seen := map[string]bool{}
	addTrigger := func(t string) {
		if _, ok := m.trig[t]; !ok {
			m.trig[t] = int32(len(m.trig))
		}
		if !IsSyntheticTrigger(t) && !seen[t] {
			seen[t] = true
			m.order = append(m.order, t)
		}
	}
	for i := range def.Transitions {
		td := &def.Transitions[i]
		t := transition{index: i, trigger: md.triggers[i], dest: m.stateIdx[td.Dest], destName: td.Dest, region: -1,
			actions: capped(td.Actions), description: td.Description, meta: td.Metadata}
		for _, s := range td.Source {
			t.sources = append(t.sources, m.stateIdx[s])
		}
		if td.Region != "" && len(t.sources) > 0 {
			src := &m.nodes[t.sources[0]]
			if src.par >= 0 {
				for _, r := range m.nodes[src.par].regions {
					if m.nodes[r].name == td.Region {
						t.region = r
					}
				}
			}
		}
		for j, g := range td.Guards {
			t.guards = append(t.guards, m.resolveGuard(md, g, md.inline[[2]int{i, j}]))
		}
		t.actionNames = actionNames(t.actions)
		addTrigger(t.trigger)
		m.trans = append(m.trans, t)
	}
	for i := range def.States {
		s := &def.States[i]
		if s.Timeout == nil {
			continue
		}
		t := transition{index: len(m.trans), trigger: TimeoutTrigger, sources: []int32{int32(i)}, dest: m.stateIdx[s.Timeout.Destination],
			destName: s.Timeout.Destination, region: -1, description: "timeout after " + formatSeconds(s.Timeout.Seconds)}
		addTrigger(t.trigger)
		m.trans = append(m.trans, t)
	}
	for t := range seen {
		m.triggers = append(m.triggers, t)
	}
	sort.Strings(m.triggers)
}

func (m *Machine) resolveGuard(md *model, g GuardRef, inline *compiledExpr) guard {
	if g.Expr != "" {
		return guard{label: g.Expr, kind: guardExpr, expr: inline}
	}
	if fn, ok := m.guards.Lookup(g.Name); ok {
		return guard{label: g.Name, name: g.Name, kind: guardFunc, fn: fn}
	}
	if ce, ok := md.named[g.Name]; ok {
		return guard{label: g.Name, name: g.Name, kind: guardExpr, expr: ce}
	}
	return guard{label: g.Name, name: g.Name, kind: guardUnbound}
}

func actionNames(acts []Action) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = a.Name
	}
	return out
}

// buildTimers gives each state the timers it arms when entered: its timeout,
// then its delayed transitions in YAML order.
func (m *Machine) buildTimers() {
	for i := range m.def.States {
		s := &m.def.States[i]
		if s.Timeout != nil {
			m.nodes[i].timers = append(m.nodes[i].timers, Timer{Trigger: TimeoutTrigger, AfterMs: s.Timeout.Millis(), Kind: TimerTimeout, State: s.Name})
		}
	}
	for i := range m.def.Transitions {
		td := &m.def.Transitions[i]
		if td.After == nil || td.After.Millis <= 0 {
			continue
		}
		for _, s := range m.trans[i].sources {
			m.nodes[s].timers = append(m.nodes[s].timers, Timer{Trigger: m.trans[i].trigger, AfterMs: td.After.Millis, Kind: TimerAfter, State: m.nodes[s].name})
		}
	}
}

// ---- hierarchy ----

// isAncestorOrSelf reports whether a is n or one of n's ancestors.
func (m *Machine) isAncestorOrSelf(a, n int32) bool {
	for ; n >= 0; n = m.nodes[n].parent {
		if n == a {
			return true
		}
	}
	return false
}

// localLCA is the domain of a transition from s to d with pystator's local
// semantics: d itself when d is s or one of its ancestors, s when d is below
// s, else their nearest common ancestor (a region node for two states of one
// region), -1 for the root.
func (m *Machine) localLCA(s, d int32) int32 {
	if m.isAncestorOrSelf(d, s) {
		return d
	}
	if m.isAncestorOrSelf(s, d) {
		return s
	}
	for a := m.nodes[s].parent; a >= 0; a = m.nodes[a].parent {
		if m.isAncestorOrSelf(a, d) {
			return a
		}
	}
	return -1
}

// entered lists the nodes entered by a transition into d within the domain lca,
// outermost first (a parallel state before its regions, regions in YAML order),
// down to the leaves.
func (m *Machine) entered(lca, d int32) []int32 {
	var path []int32
	for n := d; n >= 0 && n != lca; n = m.nodes[n].parent {
		path = append(path, n)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	var out []int32
	if len(path) == 0 {
		// the domain itself is the target: re-enter its default descendants
		ln := &m.nodes[lca]
		switch {
		case ln.parallel():
			for _, r := range ln.regions {
				out = m.enterNode(out, r, nil)
			}
		case ln.initial >= 0:
			out = m.enterNode(out, ln.initial, nil)
		}
		return out
	}
	if lca >= 0 && m.nodes[lca].parallel() {
		for _, r := range m.nodes[lca].regions {
			if r == path[0] {
				out = m.enterNode(out, r, path[1:])
			} else {
				out = m.enterNode(out, r, nil)
			}
		}
		return out
	}
	return m.enterNode(out, path[0], path[1:])
}

func (m *Machine) enterNode(out []int32, n int32, path []int32) []int32 {
	out = append(out, n)
	nd := &m.nodes[n]
	if nd.parallel() {
		for _, r := range nd.regions {
			if len(path) > 0 && path[0] == r {
				out = m.enterNode(out, r, path[1:])
			} else {
				out = m.enterNode(out, r, nil)
			}
		}
		return out
	}
	next := nd.initial
	if len(path) > 0 {
		next = path[0]
		path = path[1:]
	}
	if next >= 0 {
		out = m.enterNode(out, next, path)
	}
	return out
}

// leavesOf lists the leaves of an entered list; nothing entered (a
// self-transition) leaves the target itself active.
func (m *Machine) leavesOf(entered []int32, lca, d int32) []int32 {
	var out []int32
	for _, n := range entered {
		nd := &m.nodes[n]
		if nd.kind == kindState && len(nd.children) == 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		// nothing entered (a self-transition): the target itself
		out = append(out, d)
	}
	return out
}

func (m *Machine) timersOf(entered []int32) []Timer {
	var out []Timer
	for _, n := range entered {
		out = append(out, m.nodes[n].timers...)
	}
	return out
}

// exitChain collects on_exit actions from n up to, not including, stop.
func (m *Machine) exitChain(out []Action, n, stop int32) []Action {
	for ; n >= 0 && n != stop; n = m.nodes[n].parent {
		out = append(out, m.nodes[n].onExit...)
	}
	return out
}

func (m *Machine) makePlan(t *transition, s int32) plan {
	p := m.entryPlan(m.localLCA(s, t.dest), t.dest)
	p.source = s
	if t.dest == s && len(m.nodes[s].timers) > 0 {
		// A self-transition enters nothing (local semantics) but restarts the
		// state's own timers: an `after` self-loop repeats, and an event on a
		// state resets its timeout.
		p.timers = capped(append(append([]Timer(nil), m.nodes[s].timers...), p.timers...))
	}
	p.exitActions = capped(m.exitChain(nil, s, p.lca))
	all := make([]string, 0, len(p.exitActions)+len(t.actionNames)+len(p.enterNames))
	all = append(all, actionNames(p.exitActions)...)
	all = append(all, t.actionNames...)
	all = append(all, p.enterNames...)
	p.all = capped(all)
	return p
}

// entryPlan computes what entering d within the domain lca does.
func (m *Machine) entryPlan(lca, d int32) plan {
	ent := m.entered(lca, d)
	p := plan{lca: lca, leaves: m.leavesOf(ent, lca, d)}
	for _, n := range ent {
		p.enterActions = append(p.enterActions, m.nodes[n].onEnter...)
	}
	p.enterActions = capped(p.enterActions)
	p.enterNames = actionNames(p.enterActions)
	p.timers = capped(m.timersOf(ent))
	p.static = lca < 0 || m.nodes[lca].region < 0
	if p.static {
		p.target = m.configString(p.leaves)
	}
	return p
}

// configString names a set of active leaves: the leaf itself, or pystator's
// parallel configuration "<parallel>:<region>=<leaf>,..." with regions sorted.
func (m *Machine) configString(leaves []int32) string {
	if len(leaves) == 1 && m.nodes[leaves[0]].par < 0 {
		return m.nodes[leaves[0]].name
	}
	par := m.nodes[leaves[0]].par
	if par < 0 {
		return m.nodes[leaves[0]].name
	}
	pn := &m.nodes[par]
	var buf [8]int32 // no allocation for up to eight regions
	byRegion := buf[:0]
	if len(pn.regions) > len(buf) {
		byRegion = make([]int32, len(pn.regions))
	}
	byRegion = byRegion[:len(pn.regions)]
	for _, l := range leaves {
		for k, r := range pn.regions {
			if m.isAncestorOrSelf(r, l) {
				byRegion[k] = l
			}
		}
	}
	size := len(pn.name) + 1
	for k, r := range pn.regions {
		size += len(m.nodes[r].name) + len(m.nodes[byRegion[k]].name) + 2
	}
	var b strings.Builder
	b.Grow(size) // one allocation
	b.WriteString(pn.name)
	b.WriteByte(':')
	for i, k := range pn.sorted {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.nodes[pn.regions[k]].name)
		b.WriteByte('=')
		b.WriteString(m.nodes[byRegion[k]].name)
	}
	return b.String()
}

func formatSeconds(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) + "s" }
