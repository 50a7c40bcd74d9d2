package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder turns yaml.v3 nodes into a Definition in one walk. It reports what
// it cannot read at the node it is reading, and records in src where each
// element and each field validation may report on was written.
type decoder struct {
	pl     *problemList
	lim    Limits
	src    *sourceMap
	visits int
	over   bool // the node budget is spent; stop walking
}

// deref follows aliases, charging each node against the budget.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	d.charge(1)
	return n
}

func (d *decoder) charge(k int) {
	d.visits += k
	if d.visits > d.lim.MaxNodes && !d.over {
		d.over = true
		d.pl.errorf(CodeLimitExceeded, path{}, d.src.root, "the document expands to more than %d YAML nodes (are aliases repeating a large block?)", d.lim.MaxNodes)
	}
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", clip(n.Value))
		case "!!null":
			return "null"
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int", "!!float":
			return "the number " + n.Value
		}
		return fmt.Sprintf("%q", clip(n.Value))
	}
	return "an unsupported value"
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// pair is one entry of a mapping.
type pair struct {
	key string
	val *yaml.Node
}

// pairBuf holds the entries of a small mapping on the caller's stack.
type pairBuf [8]pair

// pairs lists the entries of the mapping n (at p) in document order, appended
// to buf, applying `<<` merge keys and reporting duplicate keys (the later one
// wins, as in YAML libraries). It is the one place that reads merge keys.
func (d *decoder) pairs(p path, n *yaml.Node, buf []pair) []pair {
	return d.collectPairs(&p, posOf(n), n, false, buf)
}

// collectPairs adds the entries of m to out; p and at are those of the mapping
// pairs was asked for, which m is, or which merges m in. A mapping's own keys
// go first and override what it merges in, wherever its `<<` stands; of the
// merged mappings the first has the key (YAML merge key rules, as yaml.v3).
func (d *decoder) collectPairs(p *path, at srcPos, m *yaml.Node, merged bool, out []pair) []pair {
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content) && !d.over; i += 2 {
		k, v := d.deref(m.Content[i]), d.deref(m.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.pl.errorf(CodeInvalidField, *p, at, "a key must be a plain name, not %s", kindName(k))
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" {
			merges = append(merges, v)
			continue
		}
		j := -1
		for x := range out {
			if out[x].key == k.Value {
				j = x
				break
			}
		}
		if j >= 0 {
			if merged {
				continue // the mapping that merges this one has the key
			}
			d.pl.errorf(CodeInvalidField, p.field(k.Value), posOf(k), "the key %q appears twice in this mapping", k.Value)
			out[j] = pair{k.Value, v}
			continue
		}
		out = append(out, pair{k.Value, v})
	}
	for _, v := range merges {
		switch v.Kind {
		case yaml.MappingNode:
			out = d.collectPairs(p, at, v, true, out)
		case yaml.SequenceNode:
			for _, s := range v.Content {
				if s = d.deref(s); s != nil && s.Kind == yaml.MappingNode {
					out = d.collectPairs(p, at, s, true, out)
				}
			}
		}
	}
	return out
}

// text reads a scalar as text. Names accept any scalar (YAML 1.2: `on`, `yes`
// stay strings; `1` becomes "1"); a mapping or list is a type error. A null
// reads as no text.
func (d *decoder) text(p path, n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		s := p.String()
		d.pl.errorf(CodeInvalidField, p, posOf(n), "%s must be a string, not %s", lastSeg(s), kindName(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

func (d *decoder) boolean(p path, n *yaml.Node) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, err := strconv.ParseBool(strings.ToLower(n.Value))
		if err == nil {
			return b, true
		}
	}
	hint := ""
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		switch strings.ToLower(n.Value) {
		case "yes", "no", "on", "off", "y", "n":
			hint = " (under YAML 1.2 '" + n.Value + "' is a string; write true or false)"
		}
	}
	d.pl.errorf(CodeInvalidField, p, posOf(n), "%s must be true or false, not %s%s", lastSeg(p.String()), kindName(n), hint)
	return false, false
}

func (d *decoder) number(p path, n *yaml.Node) (float64, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	d.pl.errorf(CodeInvalidField, p, posOf(n), "%s must be a number, not %s", lastSeg(p.String()), kindName(n))
	return 0, false
}

// value converts a node to a plain Go value (map[string]any, []any, string,
// int, float64, bool, nil), bounded in depth and charged against the node budget.
func (d *decoder) value(p path, n *yaml.Node, depth int) any {
	n = d.deref(n)
	if n == nil || d.over {
		return nil
	}
	if depth > d.lim.MaxDepth {
		d.pl.errorf(CodeLimitExceeded, p, posOf(n), "the value is nested more than %d levels deep", d.lim.MaxDepth)
		d.over = true
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		var buf pairBuf
		for _, e := range d.pairs(p, n, buf[:0]) {
			m[e.key] = d.value(p.field(e.key), e.val, depth+1)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			s = append(s, d.value(p.item(i), c, depth+1))
		}
		return s
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

func scalarValue(n *yaml.Node) any {
	switch n.Tag {
	case "!!null":
		return nil
	case "!!bool":
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			if i >= math.MinInt && i <= math.MaxInt {
				return int(i)
			}
		}
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
		return n.Value
	case "!!float":
		var f float64
		if err := n.Decode(&f); err == nil {
			return f
		}
		return n.Value
	}
	return n.Value
}

// definition reads the root mapping, section by section.
func (d *decoder) definition(root *yaml.Node) *Definition {
	root = d.deref(root)
	if root != nil {
		d.src.root = posOf(root)
	}
	if root == nil || root.Kind != yaml.MappingNode {
		what := "nothing"
		if root != nil {
			what = kindName(root)
		}
		d.pl.errorf(CodeInvalidRoot, path{}, d.src.root, "the document must be a mapping with `states:` and `transitions:`, not %s", what)
		return nil
	}
	def := &Definition{Meta: Meta{MachineName: "unnamed", Version: "0.0.0", StrictMode: true}}
	var haveStates, haveTransitions bool
	var buf pairBuf
	for _, e := range d.pairs(path{}, root, buf[:0]) {
		if d.over {
			break
		}
		p := pathOf(e.key)
		switch e.key {
		case "meta":
			d.meta(p, e.val, &def.Meta)
		case "state_variables":
			def.StateVariables = d.variables(p, e.val)
		case "events":
			def.Events = d.events(p, e.val)
		case "guards":
			def.Guards = d.guardDefs(p, e.val)
		case "states":
			haveStates = true
			def.States = d.states(p, e.val)
		case "transitions":
			haveTransitions = true
			def.Transitions = d.transitions(p, e.val)
		case "error_policy":
			def.ErrorPolicy = d.errorPolicy(p, e.val)
		}
	}
	if !haveStates && !d.over {
		d.pl.errorf(CodeInvalidField, pathOf("states"), d.src.root, "`states:` is missing; a machine needs at least one state")
	}
	if !haveTransitions && !d.over {
		d.pl.errorf(CodeInvalidField, pathOf("transitions"), d.src.root, "`transitions:` is missing; write `transitions: []` for a machine without transitions")
	}
	return def
}
