package engine

// ValueDepth is the nesting depth of a decoded JSON or YAML value: 0 for a
// scalar or a nil context, 1 for a flat object or list, and so on. Contexts,
// payloads and traces deeper than Limits.MaxDepth are refused wherever they
// come in.
func ValueDepth(v any) int {
	switch t := v.(type) {
	case map[string]any:
		return mapDepth(t)
	case Context:
		if t == nil {
			return 0
		}
		return mapDepth(t)
	case []any:
		d := 0
		for _, x := range t {
			d = max(d, ValueDepth(x))
		}
		return d + 1
	}
	return 0
}

func mapDepth(m map[string]any) int {
	d := 0
	for _, x := range m {
		d = max(d, ValueDepth(x))
	}
	return d + 1
}

// JSONDepth is the deepest nesting of objects and arrays in a JSON text,
// found without decoding it, so that a value nested thousands deep costs
// one pass over the bytes and can be refused before it is decoded.
func JSONDepth(b []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}
