package sim

import (
	"regexp"
	"strings"

	"github.com/statorhq/stator/engine"
)

// EventCheck is one trigger available in a state, tried against the context
// with the payload typed so far: enabled, or disabled with the reason.
type EventCheck struct {
	Trigger  string
	Declared bool            // the machine's `events:` declares it
	Event    engine.EventDef // its declaration (zero when not declared)
	Payload  engine.Context  // the payload read from the form (nil when it could not be read)
	Target   string          // where it leads when enabled and it moves; "" when it stays
	Reason   string          // why it is disabled; "" when enabled
}

// Enabled reports whether the event can be sent now.
func (c EventCheck) Enabled() bool { return c.Reason == "" }

// CheckEvents makes one EventCheck per trigger available in state (in the
// machine's order). Each is processed against ctx with its payload from the
// form and the unbound guards' values; the reason of a disabled one says
// what to change: "the payload needs fill_qty", "filled is a terminal
// state", "fill_qty >= order_qty: 50 >= 100 is false", "approved is
// switched off". The simulator and the entity page both use it.
func CheckEvents(m *engine.Machine, state string, ctx engine.Context, values engine.GuardValues, f Form, lim Limits) []EventCheck {
	lim = lim.withDefaults()
	def := m.Definition()
	var out []EventCheck
	for _, trig := range m.TriggersFrom(state) {
		ev, declared := def.Event(trig)
		c := EventCheck{Trigger: trig, Declared: declared, Event: ev}
		payload, err := ReadPayload(def, trig, f, lim)
		switch {
		case err != nil:
			c.Reason = Message(err)
		case m.IsTerminal(state):
			c.Payload = payload
			c.Reason = state + " is a terminal state"
		default:
			c.Payload = payload
			if missing := missingRequired(ev, payload); declared && missing != "" {
				c.Reason = "the payload needs " + missing
				break
			}
			res := m.ProcessWith(state, trig, ctx, engine.ProcessOptions{Payload: payload, GuardValues: values})
			if !res.Success {
				c.Reason = Explain(m, &res)
			} else if res.TargetState != state {
				c.Target = res.TargetState
			}
		}
		out = append(out, c)
	}
	return out
}

// missingRequired lists, comma-separated, the required payload fields of ev
// that the payload lacks (or holds as null).
func missingRequired(ev engine.EventDef, payload engine.Context) string {
	var miss []string
	for _, p := range ev.Payload {
		if !p.Required {
			continue
		}
		if v, ok := payload[p.Key]; ok && v != nil {
			continue
		}
		miss = append(miss, p.Key)
	}
	return strings.Join(miss, ", ")
}

// Explain says why an event was refused, from the result's guard trace: for
// an expression the values it read are put in place of their names, as in
// "fill_qty >= order_qty: 50 >= 100 is false"; when several candidates
// refused, each is prefixed with "→ dest: " and they are joined by "; ".
// A refusal that is not a guard's is its error message. A success is "".
func Explain(m *engine.Machine, res *engine.Result) string {
	if res.Error == nil {
		return ""
	}
	if res.Error.Code != engine.ErrCodeGuardRejected {
		return res.Error.Message
	}
	exprs := map[string]string{}
	for _, g := range m.Definition().Guards {
		exprs[g.Name] = g.Expr
	}
	trace := res.GuardTrace()
	var parts []string
	for _, e := range trace {
		for _, g := range e.Guards {
			if g.Passed {
				continue
			}
			why := describeFailure(g, exprs)
			if len(trace) > 1 {
				why = "→ " + e.Dest + ": " + why
			}
			parts = append(parts, why)
		}
	}
	if len(parts) == 0 {
		return res.Error.Message
	}
	return strings.Join(parts, "; ")
}

func describeFailure(g engine.GuardCheck, exprs map[string]string) string {
	label := g.Guard
	src, named := exprs[g.Guard]
	if !named {
		src = g.Guard
	}
	switch g.Kind {
	case engine.GuardKindExpression:
		prefix := src
		if named {
			prefix = g.Guard + " (" + src + ")"
		}
		if g.Error != "" {
			return prefix + ": " + g.Error
		}
		return src + ": " + substitute(src, g.Values) + " is false"
	case engine.GuardKindValue:
		return label + " is switched off"
	case engine.GuardKindFunction:
		if g.Error != "" {
			return label + ": " + g.Error
		}
		return label + " returned false"
	}
	if g.Error != "" {
		return label + ": " + g.Error
	}
	return label + " is false"
}

// operandRe matches a name an expression reads (a dotted path).
var operandRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*`)

// substitute writes the values an expression read in place of their names,
// each cut to MaxValueText characters.
func substitute(src string, values engine.Operands) string {
	byName := map[string]any{}
	for _, op := range values {
		byName[op.Name] = op.Value
	}
	return operandRe.ReplaceAllStringFunc(src, func(name string) string {
		v, ok := byName[name]
		if !ok {
			return name
		}
		if v == nil {
			return "None"
		}
		return ValueText(v)
	})
}
