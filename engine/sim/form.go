package sim

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/statorhq/stator/engine"
)

// Form is the simulator's (or the entity page's) form values, as posted:
// net/url.Values converts to it. Its field names are those below.
type Form map[string][]string

// Value is the first value of key, or "".
func (f Form) Value(key string) string {
	if v := f[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// The form's field names, shared with the templates that render the form.
const (
	FieldOp          = "op"      // the operation: "name" or "name:arg" (see ParseOperation)
	FieldTrace       = "trace"   // the trace as JSON
	FieldSeconds     = "seconds" // how far OpAdvance moves the clock
	FieldContextJSON = "ctx_json"
)

// ContextField is the form field of a state variable in the context form.
func ContextField(key string) string { return "ctx." + key }

// PayloadField is the form field of a declared payload field of trigger.
func PayloadField(trigger, key string) string { return "payload." + trigger + "." + key }

// PayloadJSONField is the form field of trigger's payload as JSON (an event
// without declared payload fields).
func PayloadJSONField(trigger string) string { return "payload." + trigger + ".json" }

// GuardField is the form field of an unbound guard's toggle.
func GuardField(name string) string { return "guard." + name }

// ParseTyped reads a form field as the variable's type. A blank number or
// JSON field, or an empty text field, is absent: nil, nil. A boolean is true
// for "true" or "on".
func ParseTyped(v engine.Variable, raw string, lim Limits) (any, error) {
	lim = lim.withDefaults()
	s := strings.TrimSpace(raw)
	switch v.Type {
	case engine.TypeBoolean:
		return s == "true" || s == "on", nil
	case engine.TypeNumber, engine.TypeInteger:
		if s == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fail(ErrInput, v.Key, "%s must be a number, not %q", v.Key, raw)
		}
		if v.Type == engine.TypeInteger && f != math.Trunc(f) {
			return nil, fail(ErrInput, v.Key, "%s must be a whole number, not %q", v.Key, raw)
		}
		return f, nil
	case engine.TypeObject, engine.TypeArray:
		if s == "" {
			return nil, nil
		}
		if d := engine.JSONDepth([]byte(s)); d > lim.MaxDepth {
			return nil, fail(ErrLimit, v.Key, "%s is nested %d levels deep; the limit is %d", v.Key, d, lim.MaxDepth)
		}
		var x any
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			return nil, fail(ErrInput, v.Key, "%s must be JSON (%s), not %q", v.Key, v.Type, raw)
		}
		probs := engine.CheckContext([]engine.Variable{{Key: v.Key, Type: v.Type}}, engine.Context{v.Key: x})
		if len(probs) > 0 {
			return nil, fail(ErrInput, v.Key, "%s %s", v.Key, probs[0].Problem)
		}
		return x, nil
	}
	if s == "" && raw == "" {
		return nil, nil
	}
	return raw, nil
}

// ReadPayload reads trigger's payload from the form: its declared fields
// (typed), or, for an event without declared fields, the JSON box. The
// result is never nil.
func ReadPayload(def *engine.Definition, trigger string, f Form, lim Limits) (engine.Context, error) {
	lim = lim.withDefaults()
	out := engine.Context{}
	if ev, ok := def.Event(trigger); ok && len(ev.Payload) > 0 {
		for _, v := range ev.Payload {
			raw, ok := f[PayloadField(trigger, v.Key)]
			if !ok || len(raw) == 0 {
				continue
			}
			val, err := ParseTyped(v, raw[0], lim)
			if err != nil {
				return nil, err
			}
			if val != nil {
				out[v.Key] = val
			}
		}
		return out, nil
	}
	field := PayloadJSONField(trigger)
	raw := strings.TrimSpace(f.Value(field))
	if raw == "" {
		return out, nil
	}
	if d := engine.JSONDepth([]byte(raw)); d > lim.MaxDepth {
		return nil, fail(ErrLimit, field, "the payload of %s is nested %d levels deep; the limit is %d", trigger, d, lim.MaxDepth)
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out == nil {
		return nil, fail(ErrInput, field, "the payload of %s must be a JSON object, such as {\"fill_qty\": 50}", trigger)
	}
	return out, nil
}

// readContextJSON reads the raw JSON context box.
func readContextJSON(f Form, lim Limits) (engine.Context, error) {
	raw := f.Value(FieldContextJSON)
	if d := engine.JSONDepth([]byte(raw)); d > lim.MaxDepth {
		return nil, fail(ErrLimit, FieldContextJSON, "The context is nested %d levels deep; the limit is %d.", d, lim.MaxDepth)
	}
	var c engine.Context
	if err := json.Unmarshal([]byte(raw), &c); err != nil || c == nil {
		return nil, fail(ErrInput, FieldContextJSON, "The context must be a JSON object, such as {\"order_qty\": 100}.")
	}
	return c, nil
}

// readContextFields lays the context form's fields (one per state variable)
// over c. An unchecked checkbox is not posted: a boolean variable missing
// from the form is false. A blank field removes its key.
func readContextFields(def *engine.Definition, c engine.Context, f Form, lim Limits) error {
	for _, v := range def.StateVariables {
		raw, ok := f[ContextField(v.Key)]
		if !ok || len(raw) == 0 {
			if v.Type == engine.TypeBoolean {
				c[v.Key] = false
			}
			continue
		}
		val, err := ParseTyped(v, raw[0], lim)
		if err != nil {
			return err
		}
		if val == nil {
			delete(c, v.Key)
		} else {
			c[v.Key] = val
		}
	}
	return nil
}

// UnboundGuards lists, in the order the transitions use them, the named
// guards that have no definition: the simulator asks the user for their
// values.
func UnboundGuards(def *engine.Definition) []string {
	defined := map[string]bool{}
	for _, g := range def.Guards {
		defined[g.Name] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range def.Transitions {
		for _, g := range t.Guards {
			if g.Name != "" && !defined[g.Name] && !seen[g.Name] {
				seen[g.Name] = true
				out = append(out, g.Name)
			}
		}
	}
	return out
}
