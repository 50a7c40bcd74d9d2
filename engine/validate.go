package engine

import (
	"errors"
	"fmt"
	"regexp"
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

// validator checks a definition (SPEC 2). It places each problem at the
// position src recorded for the element at fault, and builds the problem's
// path from the element's index as written, only when it reports one.
type validator struct {
	*model
	src    *sourceMap
	pl     *problemList
	lim    Limits
	guards *GuardRegistry
	exprs  *exprCompiler
}

// validate checks def, whose elements were written where src says.
func validate(def *Definition, src *sourceMap, pl *problemList, lim Limits, guards *GuardRegistry) *model {
	if src == nil {
		src = &sourceMap{} // no positions; problem paths still name what is at fault
	}
	v := &validator{
		model: &model{def: def, index: map[string]int{}, regionOf: map[int][2]int{}, named: map[string]*compiledExpr{}, inline: map[[2]int]*compiledExpr{}},
		src:   src, pl: pl, lim: lim, guards: guards, exprs: newExprCompiler(lim.MaxExprLen),
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

// checkName reports a name that breaks the naming rule.
func (v *validator) checkName(kind string, p path, at srcPos, name string) {
	if name == "" || validName(name) {
		return
	}
	hint := ""
	if lower := strings.ToLower(strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(name)); validName(lower) {
		hint = fmt.Sprintf("; try %q", lower)
	}
	v.pl.errorf(CodeInvalidName, p, at, "%s name %q must use only lowercase letters, digits and underscores%s", kind, name, hint)
}

// ref checks that a name refers to a state; it returns the state's index or -1.
func (v *validator) ref(p path, at srcPos, what, name string) int {
	if name == "" {
		return -1
	}
	i, ok := v.index[name]
	if !ok {
		v.pl.errorf(CodeUnknownState, p, at, "%s %q is not a state of this machine%s", what, name, v.suggest(name))
		return -1
	}
	return i
}

// suggest names the closest existing state, for typos.
func (v *validator) suggest(name string) string {
	best, bestD := "", 3
	for _, s := range v.def.States {
		if d := EditDistance(name, s.Name); d < bestD && s.Name != "" {
			best, bestD = s.Name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// EditDistance is the Levenshtein distance between two names of at most 64
// bytes (99 for longer ones): the "did you mean" hints use it.
func EditDistance(a, b string) int {
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
