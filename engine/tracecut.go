package engine

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// traceCuts cuts the operand values of one guard_trace to
// MaxTraceValueChars characters (SPEC 11). Within one result an operand name
// always holds the same value, so each name's value is measured once, however
// many candidates read it.
type traceCuts struct{ memo map[string]any }

// cut returns v, or when its text (a string's characters, another value's
// JSON) is longer than MaxTraceValueChars, a string of its first
// MaxTraceValueChars characters followed by "…(cut, N chars)".
func (c *traceCuts) cut(name string, v any) any {
	if s, isString := v.(string); isString {
		if len(s) <= MaxTraceValueChars {
			return v // at most as many characters as bytes
		}
	} else if jsonAtMost(v, MaxTraceValueChars) {
		return v
	}
	if got, seen := c.memo[name]; seen {
		return got
	}
	out := cutValue(v)
	if c.memo == nil {
		c.memo = map[string]any{}
	}
	c.memo[name] = out
	return out
}

func cutValue(v any) any {
	text, isString := v.(string)
	if !isString {
		b, err := json.Marshal(v)
		if err != nil {
			// not fmt.Sprint: a Go value may contain itself
			text = fmt.Sprintf("a %T that is not JSON: %v", v, err)
		} else {
			text = string(b)
		}
	}
	n := utf8.RuneCountInString(text)
	if n <= MaxTraceValueChars {
		return v
	}
	end, k := 0, 0
	for end = range text {
		if k == MaxTraceValueChars {
			break
		}
		k++
	}
	return text[:end] + "…(cut, " + strconv.Itoa(n) + " chars)"
}

// jsonAtMost reports whether v's JSON text surely has at most limit
// characters, from an upper bound that stops growing past the limit. A value
// it does not know is not surely short.
func jsonAtMost(v any, limit int) bool {
	n := jsonBound(v, limit)
	return n >= 0 && n <= limit
}

// jsonBound is an upper bound of the length of v's JSON text, or -1 when
// unknown; it stops once past limit.
func jsonBound(v any, limit int) int {
	switch t := v.(type) {
	case nil, bool:
		return 5
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return 20
	case float32, float64:
		return 24
	case string:
		return 2 + 6*len(t) // every byte escaped as \u00XX at worst
	case []any:
		n := 2
		for _, x := range t {
			k := jsonBound(x, limit)
			if k < 0 {
				return -1
			}
			if n += k + 1; n > limit {
				return n
			}
		}
		return n
	case map[string]any:
		return jsonBoundMap(t, limit)
	case Context:
		return jsonBoundMap(t, limit)
	}
	return -1
}

func jsonBoundMap(m map[string]any, limit int) int {
	n := 2
	for k, x := range m {
		b := jsonBound(x, limit)
		if b < 0 {
			return -1
		}
		if n += 2 + 6*len(k) + 2 + b; n > limit {
			return n
		}
	}
	return n
}
