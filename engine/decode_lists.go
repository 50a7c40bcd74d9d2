package engine

import "gopkg.in/yaml.v3"

// This file reads the values that may be one item or a list of items (state
// names and actions), shared by states and transitions. Each records its
// items' positions in sourceMap.items and returns their span.

// addItem records where the item at index i of a list was written.
func (d *decoder) addItem(n *yaml.Node, i int) {
	d.src.items = append(d.src.items, itemPos{at: posOf(n), index: int32(i)})
}

// spanOf is the span of the positions recorded from start to end of an arena
// of sourceMap.
func spanOf(start, end int, list bool) span {
	return span{start: int32(start), n: int32(end - start), list: list}
}

// names reads one name or a list of names.
func (d *decoder) names(p path, n *yaml.Node) ([]string, span) {
	start := len(d.src.items)
	if isNull(n) {
		return nil, span{}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		s, _ := d.text(p, n)
		d.addItem(n, 0)
		return []string{s}, spanOf(start, len(d.src.items), false)
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			c = d.deref(c)
			if c == nil {
				continue
			}
			if s, ok := d.text(p.item(i), c); ok {
				out = append(out, s)
				d.addItem(c, i)
			}
		}
		return out, spanOf(start, len(d.src.items), true)
	}
	s := p.String()
	d.pl.errorf(CodeInvalidField, p, posOf(n), "%s must be a name or a list of names, not %s", lastSeg(s), kindName(n))
	return nil, span{}
}

// actions reads "name", [names], {name, params} or a list mixing both.
func (d *decoder) actions(p path, n *yaml.Node) ([]Action, span) {
	start := len(d.src.items)
	if isNull(n) {
		return nil, span{}
	}
	switch n.Kind {
	case yaml.ScalarNode:
		s, _ := d.text(p, n)
		d.addItem(n, 0)
		return []Action{{Name: s}}, spanOf(start, len(d.src.items), false)
	case yaml.MappingNode:
		if a, ok := d.action(p, n); ok {
			d.addItem(n, 0)
			return []Action{a}, spanOf(start, len(d.src.items), false)
		}
		return nil, span{}
	case yaml.SequenceNode:
		out := make([]Action, 0, len(n.Content))
		for i, c := range n.Content {
			ip := p.item(i)
			c = d.deref(c)
			if c == nil {
				continue
			}
			switch c.Kind {
			case yaml.ScalarNode:
				s, _ := d.text(ip, c)
				out = append(out, Action{Name: s})
				d.addItem(c, i)
			case yaml.MappingNode:
				if a, ok := d.action(ip, c); ok {
					out = append(out, a)
					d.addItem(c, i)
				}
			default:
				d.pl.errorf(CodeInvalidField, ip, posOf(c), "an action must be a name or {name, params}, not %s", kindName(c))
			}
		}
		return out, spanOf(start, len(d.src.items), true)
	}
	d.pl.errorf(CodeInvalidField, p, posOf(n), "actions must be a name, a list, or {name, params}, not %s", kindName(n))
	return nil, span{}
}

func (d *decoder) action(p path, n *yaml.Node) (Action, bool) {
	var a Action
	var buf pairBuf
	for _, e := range d.pairs(p, n, buf[:0]) {
		switch e.key {
		case "name":
			a.Name, _ = d.text(p.field(e.key), e.val)
		case "params":
			if isNull(e.val) {
				continue
			}
			if e.val.Kind != yaml.MappingNode {
				d.pl.errorf(CodeInvalidField, p.field(e.key), posOf(e.val), "params must be a mapping, not %s", kindName(e.val))
				continue
			}
			a.Params, _ = d.value(p.field(e.key), e.val, 1).(map[string]any)
		}
	}
	if a.Name == "" {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "an action needs a `name`")
		return a, false
	}
	return a, true
}
