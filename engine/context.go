package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
)

// Context is an entity's data: the keys guards read. Values are JSON-like
// (string, float64 or int, bool, nil, map[string]any, []any).
type Context map[string]any

// Payload is the data that comes with an event; it is merged over the context.
type Payload = Context

// Clone returns a deep copy of the context (maps and slices copied).
func (c Context) Clone() Context {
	if c == nil {
		return Context{}
	}
	out := make(Context, len(c))
	for k, v := range c {
		out[k] = cloneValue(v)
	}
	return out
}

func cloneValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = cloneValue(x)
		}
		return m
	case Context:
		return map[string]any(t.Clone())
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = cloneValue(x)
		}
		return s
	}
	return v
}

// merged returns ctx with payload laid over it. It allocates only when the
// payload is not empty.
func merged(ctx, payload Context) Context {
	if len(payload) == 0 {
		return ctx
	}
	out := make(Context, len(ctx)+len(payload))
	for k, v := range ctx {
		out[k] = v
	}
	for k, v := range payload {
		out[k] = v
	}
	return out
}

// ContextProblem is one failed check of context validation (SPEC 3.7).
type ContextProblem struct {
	Key     string `json:"key"`
	Problem string `json:"problem"`
}

// CheckContext validates a context against declared variables: required keys
// present and not null, values of the declared type.
func CheckContext(vars []Variable, ctx Context) []ContextProblem {
	var out []ContextProblem
	for _, v := range vars {
		val, ok := ctx[v.Key]
		if !ok || val == nil {
			if v.Required {
				what := "is missing"
				if ok {
					what = "is null"
				}
				out = append(out, ContextProblem{Key: v.Key, Problem: "required, but " + what})
			}
			continue
		}
		if p := typeProblem(v.Type, val); p != "" {
			out = append(out, ContextProblem{Key: v.Key, Problem: p})
		}
	}
	return out
}

// typeProblem describes why val is not of the declared type, or returns "".
func typeProblem(typ string, val any) string {
	if typ == "" || val == nil {
		return ""
	}
	ok := false
	switch typ {
	case TypeString:
		_, ok = val.(string)
	case TypeNumber:
		_, ok = toFloat(val)
	case TypeInteger:
		if f, isNum := toFloat(val); isNum {
			ok = f == math.Trunc(f)
		}
	case TypeBoolean:
		_, ok = val.(bool)
	case TypeObject:
		switch val.(type) {
		case map[string]any, Context:
			ok = true
		default:
			ok = reflect.ValueOf(val).Kind() == reflect.Map
		}
	case TypeArray:
		switch val.(type) {
		case []any:
			ok = true
		default:
			k := reflect.ValueOf(val).Kind()
			ok = k == reflect.Slice || k == reflect.Array
		}
	default:
		return ""
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("must be %s %s, not %s", article(typ), typ, describeValue(val))
}

func article(typ string) string {
	switch typ {
	case TypeInteger, TypeObject, TypeArray:
		return "an"
	}
	return "a"
}

func describeValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", clip(t))
	case bool:
		return fmt.Sprintf("the boolean %v", t)
	case map[string]any, Context:
		return "an object"
	case []any:
		return "an array"
	}
	if f, ok := toFloat(v); ok {
		return fmt.Sprintf("the number %v", f)
	}
	return fmt.Sprintf("a %T", v)
}

// toFloat converts any Go or JSON number to float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case int32:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
