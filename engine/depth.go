package engine

// ValueDepth is the nesting depth of a decoded JSON or YAML value: 0 for a
// scalar, 1 for a flat object or list, and so on. Contexts, payloads and
// traces deeper than Limits.MaxDepth are refused wherever they come in.
func ValueDepth(v any) int {
	switch t := v.(type) {
	case map[string]any:
		return mapDepth(t)
	case Context:
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
