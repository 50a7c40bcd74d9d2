package engine

import (
	"errors"
	"fmt"
	"strings"
)

// This file checks the transitions, the guard expressions, the events and
// the error policy.

func (v *validator) guardDefinitions() {
	guards := pathOf("guards")
	for i, g := range v.def.Guards {
		at := v.src.guardDef(i)
		gp := guards.field(g.Name)
		v.checkName("guard", gp, at.at, g.Name)
		if ce := v.compile(gp, at.at, at.expr, g.Expr); ce != nil {
			v.named[g.Name] = ce
		}
	}
}

// compile compiles one expression written at (at), its text beginning at
// expr, reporting a syntax error at its column.
func (v *validator) compile(p path, at srcPos, expr exprPos, src string) *compiledExpr {
	if n := len([]rune(src)); n > v.lim.MaxExprLen {
		v.pl.errorf(CodeLimitExceeded, p, at, "the expression is %d characters long; the limit is %d", n, v.lim.MaxExprLen)
		return nil
	}
	ce, err := v.exprs.compile(src)
	if err == nil {
		return ce
	}
	var ee *ExprError
	if !errors.As(err, &ee) {
		v.pl.errorf(CodeInvalidExpression, p, at, "invalid expression %q: %v", src, err)
		return nil
	}
	msg := fmt.Sprintf("invalid expression %q: %s", clip(src), ee.Message)
	if !expr.at.known() {
		v.pl.errorf(CodeInvalidExpression, p, at, "%s (column %d of the expression)", msg, ee.Column)
		return nil
	}
	pos := expr.at
	if expr.oneLine && ee.Line == 1 {
		pos.col += int32(ee.Column - 1)
	}
	v.pl.errorf(CodeInvalidExpression, p, pos, "%s", msg)
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
		at := v.src.transition(i)
		ip := itemOf("transitions", at.item.index)
		trig := t.Trigger
		if trig != "" {
			v.checkName("trigger", ip.field("trigger"), at.trigger, trig)
		}
		if t.After != nil && t.After.Millis > 0 && trig == "" {
			if len(t.Source) > 1 {
				v.pl.errorf(CodeInvalidDelay, ip.field("after"), at.after, "a delayed transition with several sources needs a `trigger`; its synthetic trigger names one source")
			} else if len(t.Source) == 1 {
				trig = delayTrigger(t.Source[0], t.After.Millis)
			}
		}
		v.triggers[i] = trig
		for j, s := range t.Source {
			k, ok := v.index[s]
			if !ok {
				it := v.src.item(at.source, j)
				sp := ip.field("source")
				v.ref(listItem(&sp, at.source, it, len(t.Source)), it.at, "source", s)
				continue
			}
			if v.def.States[k].Type == StateTerminal {
				v.pl.errorf(CodeTerminalHasTrans, ip, at.item.at, "the transition leaves %q, a terminal state; terminal states have no outgoing transitions", s)
			}
			if t.Region != "" {
				v.checkRegion(ip.field("region"), at.region, t.Region, k)
			}
		}
		v.ref(ip.field("dest"), at.dest, "dest", t.Dest)
		if t.Region != "" {
			v.checkName("region", ip.field("region"), at.region, t.Region)
		}
		for j, g := range t.Guards {
			if g.Expr != "" {
				// an expression compiled before passed every check: no path needed
				ce, ok := v.exprs.cache[g.Expr]
				if !ok {
					it := v.src.guardItem(at.guards, j)
					gp := ip.field("guards")
					ce = v.compile(listItem(&gp, at.guards, it.item, len(t.Guards)), it.item.at, it.expr, g.Expr)
				}
				if ce != nil {
					v.inline[[2]int{i, j}] = ce
				}
				continue
			}
			if !validName(g.Name) {
				it := v.src.guardItem(at.guards, j)
				gp := ip.field("guards")
				v.checkName("guard", listItem(&gp, at.guards, it.item, len(t.Guards)), it.item.at, g.Name)
			}
		}
		v.actionNames(ip.field("actions"), at.actions, t.Actions)
	}
}

// listItem is the path of the item it of a value that holds n items and may
// be one item or a list: p[i] for a list, p itself for a single item. A lone
// item of a machine read from a Go value (no positions) is named by the
// value, p, as Stator always has (see TestExpressionsRefusedAtLoad).
func listItem(p *path, s span, it itemPos, n int) path {
	if n == 1 && (!s.list || !it.at.known()) {
		return *p
	}
	return p.item(int(it.index))
}

// checkRegion verifies a transition's `region:` (at rp) against its source state.
func (v *validator) checkRegion(rp path, at srcPos, region string, source int) {
	r, ok := v.regionOf[source]
	if !ok {
		v.pl.errorf(CodeUnknownRegion, rp, at, "the transition names region %q, but its source %q is not inside a parallel state", region, v.def.States[source].Name)
		return
	}
	par := v.def.States[r[0]]
	if par.Regions[r[1]].Name == region {
		return
	}
	for _, x := range par.Regions {
		if x.Name == region {
			v.pl.errorf(CodeUnknownRegion, rp, at, "the source %q is in region %q of %q, not in %q", v.def.States[source].Name, par.Regions[r[1]].Name, par.Name, region)
			return
		}
	}
	names := make([]string, len(par.Regions))
	for i, x := range par.Regions {
		names[i] = x.Name
	}
	v.pl.errorf(CodeUnknownRegion, rp, at, "the parallel state %q has no region %q (its regions: %s)", par.Name, region, strings.Join(names, ", "))
}

func (v *validator) events() {
	for i, e := range v.def.Events {
		if e.Name != "" && !validName(e.Name) {
			at := v.src.event(i)
			ip := itemOf("events", at.item.index)
			v.checkName("event", ip.field("name"), at.name, e.Name)
		}
	}
}

func (v *validator) errorPolicy() {
	if ep := v.def.ErrorPolicy; ep != nil && ep.DefaultFallback != "" {
		p := pathOf("error_policy")
		v.ref(p.field("default_fallback"), v.src.fallback, "default_fallback", ep.DefaultFallback)
	}
}
