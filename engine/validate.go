package engine

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// ErrInvalidName is wrapped when a name breaks the naming rule ^[a-z0-9_]+$.
var ErrInvalidName = errors.New("names must use lowercase letters, digits and underscores")

var nameRe = regexp.MustCompile(`^[a-z0-9_]+$`)

func validName(s string) bool { return nameRe.MatchString(s) }

var stateTypes = map[string]bool{StateInitial: true, StateStable: true, StateTerminal: true, StateError: true, StateParallel: true}

// model is what validation learns about a definition; compile builds on it.
type model struct {
	def      *Definition
	index    map[string]int // state name -> first index in def.States
	parent   []int          // def index of the parent state, -1 for roots or unknown
	children [][]int
	// regionOf maps a state inside a parallel state to its (parallel, region) pair.
	regionOf   map[int][2]int
	triggers   []string                 // effective trigger of each transition (synthetic for `after`)
	named      map[string]*compiledExpr // `guards:` definitions that compiled
	inline     map[[2]int]*compiledExpr // inline expressions by (transition, guard)
	structural bool                     // the state tree is sound enough for graph checks
}

type validator struct {
	*model
	pl     *problemList
	lim    Limits
	guards *GuardRegistry
	exprs  *exprCompiler
}

func validate(def *Definition, pl *problemList, lim Limits, guards *GuardRegistry) *model {
	v := &validator{
		model: &model{def: def, index: map[string]int{}, regionOf: map[int][2]int{}, named: map[string]*compiledExpr{}, inline: map[[2]int]*compiledExpr{}},
		pl:    pl, lim: lim, guards: guards, exprs: newExprCompiler(lim.MaxExprLen),
	}
	v.stateNames()
	v.tree()
	v.parallels()
	v.initial()
	v.guardDefinitions()
	v.transitions()
	v.events()
	v.timeouts()
	v.errorPolicy()
	v.warnings()
	return v.model
}

func (v *validator) name(kind, path, name string) {
	if name != "" && !validName(name) {
		hint := ""
		if lower := strings.ToLower(strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(name)); validName(lower) {
			hint = fmt.Sprintf("; try %q", lower)
		}
		v.pl.errorf(CodeInvalidName, path, "%s name %q must use only lowercase letters, digits and underscores%s", kind, name, hint)
	}
}

func (v *validator) stateNames() {
	for i, s := range v.def.States {
		if s.Name == "" {
			continue
		}
		at := func(key string, j int) lazyPath { return lazyPath{list: "states", i: i, key: key, j: j} }
		v.nameAt("state", at("name", -1), s.Name)
		if j, dup := v.index[s.Name]; dup {
			v.pl.errorf(CodeDuplicateState, v.path(at("name", -1)), "the state %q is already defined at states[%d]", s.Name, j)
		} else {
			v.index[s.Name] = i
		}
		if !stateTypes[s.Type] {
			v.pl.errorf(CodeInvalidStateType, v.path(at("type", -1)), "unknown state type %q; use initial, stable, terminal, error or parallel", s.Type)
		}
		for j, a := range s.OnEnter {
			v.nameAt("action", at("on_enter", j), a.Name)
		}
		for j, a := range s.OnExit {
			v.nameAt("action", at("on_exit", j), a.Name)
		}
	}
}

// ref checks that a name refers to a state; it returns the state's index or -1.
func (v *validator) ref(path, what, name string) int {
	if name == "" {
		return -1
	}
	i, ok := v.index[name]
	if !ok {
		v.pl.errorf(CodeUnknownState, path, "%s %q is not a state of this machine%s", what, name, v.suggest(name))
		return -1
	}
	return i
}

// suggest names the closest existing state, for typos.
func (v *validator) suggest(name string) string {
	best, bestD := "", 3
	for _, s := range v.def.States {
		if d := editDistance(name, s.Name); d < bestD && s.Name != "" {
			best, bestD = s.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
		p := v.ref(joinKey(idx("states", i), "parent"), "parent", s.Parent)
		if p < 0 {
			ok = false
			continue
		}
		if p == i {
			v.pl.errorf(CodeParentCycle, joinKey(idx("states", i), "parent"), "the state %q is its own parent", s.Name)
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
					v.pl.errorf(CodeParentCycle, joinKey(idx("states", last), "parent"), "the parents of %s form a cycle", strings.Join(names, ", "))
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
		ip := idx("states", i)
		if s.InitialChild != "" {
			c := v.ref(joinKey(ip, "initial_child"), "initial_child", s.InitialChild)
			if c >= 0 && v.parent[c] != i {
				v.pl.errorf(CodeInvalidInitialChild, joinKey(ip, "initial_child"), "initial_child %q is not a child of %q; give it `parent: %s`", s.InitialChild, s.Name, s.Name)
				ok = false
			}
		}
		if s.Type == StateTerminal && len(v.children[i]) > 0 {
			v.pl.errorf(CodeInvalidField, joinKey(ip, "type"), "the terminal state %q has child states; a terminal state cannot contain others", s.Name)
		}
	}
	v.structural = ok
}

func (v *validator) parallels() {
	for i, s := range v.def.States {
		ip := idx("states", i)
		if s.Type != StateParallel {
			if s.Regions != nil {
				v.pl.errorf(CodeInvalidParallel, joinKey(ip, "regions"), "only a state with `type: parallel` has regions; %q is %s", s.Name, s.Type)
			}
			continue
		}
		if len(s.Regions) == 0 {
			v.pl.errorf(CodeInvalidParallel, ip, "the parallel state %q needs `regions:`, each with a name, an initial state and its states", s.Name)
			v.structural = false
			continue
		}
		if s.InitialChild != "" {
			v.pl.errorf(CodeInvalidParallel, joinKey(ip, "initial_child"), "a parallel state enters all its regions; remove initial_child from %q", s.Name)
		}
		for a := v.parent[i]; a >= 0; a = v.parent[a] {
			if v.def.States[a].Type == StateParallel {
				v.pl.errorf(CodeInvalidParallel, ip, "the parallel state %q is nested inside the parallel state %q; parallel states cannot be nested", s.Name, v.def.States[a].Name)
				v.structural = false
				break
			}
		}
		seenRegion := map[string]int{}
		inRegion := map[int]string{}
		for ri, r := range s.Regions {
			rp := idx(joinKey(ip, "regions"), ri)
			v.name("region", joinKey(rp, "name"), r.Name)
			if j, dup := seenRegion[r.Name]; dup {
				v.pl.errorf(CodeDuplicateRegion, joinKey(rp, "name"), "the region %q is already defined at regions[%d]", r.Name, j)
				v.structural = false
			} else {
				seenRegion[r.Name] = ri
			}
			if len(r.States) == 0 {
				v.pl.errorf(CodeInvalidParallel, rp, "the region %q lists no states", r.Name)
				v.structural = false
				continue
			}
			for si, name := range r.States {
				sp := idx(joinKey(rp, "states"), si)
				k := v.ref(sp, "region state", name)
				if k < 0 {
					v.structural = false
					continue
				}
				if v.parent[k] != i {
					v.pl.errorf(CodeInvalidParallel, sp, "the region state %q must have `parent: %s`", name, s.Name)
					v.structural = false
					continue
				}
				if other, dup := inRegion[k]; dup {
					v.pl.errorf(CodeInvalidParallel, sp, "the state %q is already in the region %q", name, other)
					v.structural = false
					continue
				}
				inRegion[k] = r.Name
				v.regionOf[k] = [2]int{i, ri}
			}
			if r.Initial != "" {
				k := v.ref(joinKey(rp, "initial"), "region initial", r.Initial)
				if k >= 0 && !contains(r.States, r.Initial) {
					v.pl.errorf(CodeInvalidParallel, joinKey(rp, "initial"), "the initial state %q of region %q is not one of its states", r.Initial, r.Name)
					v.structural = false
				} else if k < 0 {
					v.structural = false
				}
			}
		}
		for _, c := range v.children[i] {
			if _, ok := inRegion[c]; !ok {
				v.pl.errorf(CodeInvalidParallel, joinKey(idx("states", c), "parent"), "the state %q has `parent: %s` but is in none of its regions; list it under a region's states", v.def.States[c].Name, s.Name)
				v.structural = false
			}
		}
	}
	// descendants of region states belong to the same region
	for i := range v.def.States {
		if _, ok := v.regionOf[i]; ok {
			continue
		}
		for a := v.parent[i]; a >= 0; a = v.parent[a] {
			if r, ok := v.regionOf[a]; ok {
				v.regionOf[i] = r
				break
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validator) initial() {
	first := -1
	for i, s := range v.def.States {
		if s.Type != StateInitial || s.Parent != "" || v.index[s.Name] != i {
			continue
		}
		if first >= 0 {
			v.pl.errorf(CodeMultipleInitialStates, joinKey(idx("states", i), "type"), "%q and %q are both root states with type initial; a machine starts in exactly one", v.def.States[first].Name, s.Name)
			continue
		}
		first = i
	}
	if first < 0 && len(v.def.States) > 0 {
		v.pl.errorf(CodeNoInitialState, "states", "no root state has `type: initial`; mark the state the machine starts in")
		v.structural = false
	}
}

func (v *validator) guardDefinitions() {
	for _, g := range v.def.Guards {
		path := joinKey("guards", g.Name)
		v.name("guard", path, g.Name)
		if ce := v.compile(path, g.Expr); ce != nil {
			v.named[g.Name] = ce
		}
	}
}

// compile compiles one expression, reporting a syntax error at its column.
func (v *validator) compile(path, src string) *compiledExpr {
	if n := len([]rune(src)); n > v.lim.MaxExprLen {
		v.pl.errorf(CodeLimitExceeded, path, "the expression is %d characters long; the limit is %d", n, v.lim.MaxExprLen)
		return nil
	}
	ce, err := v.exprs.compile(src)
	if err == nil {
		return ce
	}
	var ee *ExprError
	if !errors.As(err, &ee) {
		v.pl.errorf(CodeInvalidExpression, path, "invalid expression %q: %v", src, err)
		return nil
	}
	at, ok := v.pl.exprStart(path)
	msg := fmt.Sprintf("invalid expression %q: %s", clip(src), ee.Message)
	if !ok || at.Line == 0 {
		v.pl.errorf(CodeInvalidExpression, path, "%s (column %d of the expression)", msg, ee.Column)
		return nil
	}
	pos := at.Pos
	if at.singleLine && ee.Line == 1 {
		pos.Column += ee.Column - 1
	}
	v.pl.addAt(SeverityError, CodeInvalidExpression, path, pos, "%s", msg)
	return nil
}

// delayTrigger is the synthetic trigger of an `after` transition without one.
func delayTrigger(source string, ms int64) string {
	return fmt.Sprintf("_after_%s_%d_ms", source, ms)
}

// TimeoutTrigger is the trigger of the implicit transition of a state's timeout.
const TimeoutTrigger = "_timeout"

// IsSyntheticTrigger reports whether a trigger is made by the engine (timeouts
// and delayed transitions) rather than written by the user.
func IsSyntheticTrigger(t string) bool {
	return t == TimeoutTrigger || strings.HasPrefix(t, "_after_")
}

func (v *validator) transitions() {
	v.triggers = make([]string, len(v.def.Transitions))
	for i, t := range v.def.Transitions {
		// paths are built only when a problem is reported: a valid machine builds none
		at := func(key string, j int, listOnly bool) lazyPath {
			return lazyPath{list: "transitions", i: i, key: key, j: j, listOnly: listOnly}
		}
		ip := func() string { return idx("transitions", i) }
		trig := t.Trigger
		if trig != "" {
			v.nameAt("trigger", at("trigger", -1, false), trig)
		}
		if t.After != nil && t.After.Millis > 0 && trig == "" {
			if len(t.Source) > 1 {
				v.pl.errorf(CodeInvalidDelay, joinKey(ip(), "after"), "a delayed transition with several sources needs a `trigger`; its synthetic trigger names one source")
			} else if len(t.Source) == 1 {
				trig = delayTrigger(t.Source[0], t.After.Millis)
			}
		}
		v.triggers[i] = trig
		for j, s := range t.Source {
			k := v.refAt(at("source", j, len(t.Source) == 1), "source", s)
			if k < 0 {
				continue
			}
			if v.def.States[k].Type == StateTerminal {
				v.pl.errorf(CodeTerminalHasTrans, ip(), "the transition leaves %q, a terminal state; terminal states have no outgoing transitions", s)
			}
			if t.Region != "" {
				v.checkRegion(ip(), t.Region, k)
			}
		}
		v.refAt(at("dest", -1, false), "dest", t.Dest)
		if t.Region != "" {
			v.nameAt("region", at("region", -1, false), t.Region)
		}
		for j, g := range t.Guards {
			gp := at("guards", j, len(t.Guards) == 1)
			if g.Expr != "" {
				// an expression compiled before passed every check: no path needed
				ce, ok := v.exprs.cache[g.Expr]
				if !ok {
					ce = v.compile(v.path(gp), g.Expr)
				}
				if ce != nil {
					v.inline[[2]int{i, j}] = ce
				}
				continue
			}
			v.nameAt("guard", gp, g.Name)
		}
		for j, a := range t.Actions {
			v.nameAt("action", at("actions", j, false), a.Name)
		}
	}
}

// lazyPath is a problem path such as transitions[3].guards[0] (list[i].key[j])
// kept in parts, so that checking a valid machine builds no path strings.
type lazyPath struct {
	list     string // "transitions", "states"
	i        int
	key      string // "" for the item itself
	j        int    // index under key, -1 for none
	listOnly bool   // add [j] only when the YAML value under key is a list (a single name may stand alone)
}

func (v *validator) path(p lazyPath) string {
	s := idx(p.list, p.i)
	if p.key != "" {
		s = joinKey(s, p.key)
	}
	if p.j >= 0 && (!p.listOnly || v.pl.isList(s)) {
		s = idx(s, p.j)
	}
	return s
}

// nameAt is name with a lazily built path.
func (v *validator) nameAt(kind string, p lazyPath, name string) {
	if name != "" && !validName(name) {
		v.name(kind, v.path(p), name)
	}
}

// refAt is ref with a lazily built path.
func (v *validator) refAt(p lazyPath, what, name string) int {
	if name == "" {
		return -1
	}
	if i, ok := v.index[name]; ok {
		return i
	}
	return v.ref(v.path(p), what, name)
}

// checkRegion verifies a transition's `region:` against its source state.
func (v *validator) checkRegion(ip, region string, source int) {
	rp := joinKey(ip, "region")
	r, ok := v.regionOf[source]
	if !ok {
		v.pl.errorf(CodeUnknownRegion, rp, "the transition names region %q, but its source %q is not inside a parallel state", region, v.def.States[source].Name)
		return
	}
	par := v.def.States[r[0]]
	if par.Regions[r[1]].Name == region {
		return
	}
	for _, x := range par.Regions {
		if x.Name == region {
			v.pl.errorf(CodeUnknownRegion, rp, "the source %q is in region %q of %q, not in %q", v.def.States[source].Name, par.Regions[r[1]].Name, par.Name, region)
			return
		}
	}
	names := make([]string, len(par.Regions))
	for i, x := range par.Regions {
		names[i] = x.Name
	}
	v.pl.errorf(CodeUnknownRegion, rp, "the parallel state %q has no region %q (its regions: %s)", par.Name, region, strings.Join(names, ", "))
}

func (v *validator) events() {
	for i, e := range v.def.Events {
		v.name("event", joinKey(idx("events", i), "name"), e.Name)
	}
}

func (v *validator) timeouts() {
	for i, s := range v.def.States {
		if s.Timeout == nil {
			continue
		}
		tp := joinKey(idx("states", i), "timeout")
		v.ref(joinKey(tp, "destination"), "timeout destination", s.Timeout.Destination)
		if s.Type == StateTerminal {
			v.pl.errorf(CodeTerminalHasTrans, tp, "the terminal state %q has a timeout; terminal states have no outgoing transitions", s.Name)
		}
	}
}

func (v *validator) errorPolicy() {
	if ep := v.def.ErrorPolicy; ep != nil && ep.DefaultFallback != "" {
		v.ref("error_policy.default_fallback", "default_fallback", ep.DefaultFallback)
	}
}

// ---- warnings ----

func (v *validator) warnings() {
	v.guardWarnings()
	v.eventWarnings()
	v.shadowWarnings()
	if v.structural && !v.pl.hasErrors() {
		v.graphWarnings()
	}
}

func (v *validator) guardWarnings() {
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
			gp := idx(joinKey(idx("transitions", i), "guards"), j)
			v.pl.warnf(CodeUnboundGuard, gp, "the guard %q has no definition; add it under `guards:` or register it in Go (the simulator asks for its value)", g.Name)
		}
	}
	for _, g := range v.def.Guards {
		if !used[g.Name] {
			v.pl.warnf(CodeUnusedGuard, joinKey("guards", g.Name), "the guard %q is defined but no transition uses it", g.Name)
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
			v.pl.warnf(CodeUnusedEvent, idx("events", i), "the event %q is declared but no transition uses it", e.Name)
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
				v.pl.warnf(CodeShadowedTransition, idx("transitions", i), "this transition never fires from %q on %q: transitions[%d] comes first with the same trigger and source and no guard", s, trig, j)
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
			v.pl.warnf(CodeUnreachableState, idx("states", i), "the state %q cannot be reached from the initial state", s.Name)
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
			v.pl.warnf(CodeDeadEndState, idx("states", i), "the state %q has no outgoing transition and no timeout, and is not terminal; mark it `type: terminal` if it is an end state", s.Name)
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
