package engine

import (
	"math"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// This file reads `transitions:`: each transition, its guards and its delay.

func (d *decoder) transitions(p path, n *yaml.Node) []TransitionDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "transitions must be a list, not %s", kindName(n))
		return nil
	}
	if len(n.Content) > d.lim.MaxTransitions {
		d.pl.errorf(CodeLimitExceeded, p, posOf(n), "the machine has %d transitions; the limit is %d", len(n.Content), d.lim.MaxTransitions)
		return nil
	}
	out := make([]TransitionDef, 0, len(n.Content))
	d.src.transitions = make([]transitionPos, 0, len(n.Content))
	for i, c := range n.Content {
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		ip := p.item(i)
		at := transitionPos{item: itemPos{at: posOf(c), index: int32(i)}}
		var t TransitionDef
		if c.Kind != yaml.MappingNode {
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "a transition must be a mapping {trigger, source, dest}, not %s", kindName(c))
		} else {
			d.transitionFields(ip, c, &t, &at)
		}
		out = append(out, t)
		d.src.transitions = append(d.src.transitions, at)
	}
	return out
}

// transitionFields reads the fields of a transition and reports the ones it
// lacks.
func (d *decoder) transitionFields(ip path, c *yaml.Node, t *TransitionDef, at *transitionPos) {
	var haveSource, haveDest bool
	var buf pairBuf
	for _, e := range d.pairs(ip, c, buf[:0]) {
		fp := ip.field(e.key)
		switch e.key {
		case "trigger":
			t.Trigger, _ = d.text(fp, e.val)
			at.trigger = posOf(e.val)
		case "source":
			haveSource = true
			t.Source, at.source = d.names(fp, e.val)
		case "dest":
			haveDest = true
			t.Dest, _ = d.text(fp, e.val)
			at.dest = posOf(e.val)
		case "guards":
			t.Guards, at.guards = d.guardRefs(fp, e.val)
		case "actions":
			t.Actions, at.actions = d.actions(fp, e.val)
		case "region":
			t.Region, _ = d.text(fp, e.val)
			at.region = posOf(e.val)
		case "description":
			t.Description, _ = d.text(fp, e.val)
		case "after":
			at.after = posOf(e.val)
			t.After = d.delay(fp, e.val)
			if t.After == nil {
				t.After = &Delay{} // marked bad; keeps the synthetic-trigger rule from misfiring
			}
		default:
			if t.Metadata == nil {
				t.Metadata = map[string]any{}
			}
			t.Metadata[e.key] = d.value(fp, e.val, 1)
		}
	}
	if !haveSource || len(t.Source) == 0 {
		d.pl.errorf(CodeInvalidField, ip, posOf(c), "a transition needs a `source` state")
	}
	if !haveDest || t.Dest == "" {
		d.pl.errorf(CodeInvalidField, ip, posOf(c), "a transition needs a `dest` state")
	}
	if t.Trigger == "" && t.After == nil {
		d.pl.errorf(CodeInvalidField, ip, posOf(c), "a transition needs a `trigger` (or `after:` for a delayed one)")
	}
}

// guardRefs reads a transition's guards: names and inline {expr: "..."},
// one or a list. Their positions go to sourceMap.guardItems.
func (d *decoder) guardRefs(p path, n *yaml.Node) ([]GuardRef, span) {
	start := len(d.src.guardItems)
	if isNull(n) {
		return nil, span{}
	}
	var items []*yaml.Node
	list := n.Kind == yaml.SequenceNode
	switch n.Kind {
	case yaml.SequenceNode:
		items = n.Content
	case yaml.ScalarNode, yaml.MappingNode:
		items = []*yaml.Node{n}
	default:
		d.pl.errorf(CodeInvalidField, p, posOf(n), "guards must be a list, not %s", kindName(n))
		return nil, span{}
	}
	out := make([]GuardRef, 0, len(items))
	for i, c := range items {
		ip := p
		if list {
			ip = p.item(i)
		}
		c = d.deref(c)
		if c == nil {
			continue
		}
		at := guardItemPos{item: itemPos{at: posOf(c), index: int32(i)}}
		switch c.Kind {
		case yaml.ScalarNode:
			if s, ok := d.text(ip, c); ok {
				out = append(out, GuardRef{Name: s})
				d.src.guardItems = append(d.src.guardItems, at)
			}
		case yaml.MappingNode:
			var g GuardRef
			var buf pairBuf
			for _, e := range d.pairs(ip, c, buf[:0]) {
				if e.key == "expr" {
					if e.val.Kind != yaml.ScalarNode || isNull(e.val) {
						d.pl.errorf(CodeInvalidField, ip, posOf(c), "expr must be an expression string, not %s", kindName(e.val))
						continue
					}
					g.Expr = e.val.Value
					at.expr = exprStart(e.val)
				} else if e.key == "name" {
					g.Name, _ = d.text(ip.field("name"), e.val)
				}
			}
			if g.Expr == "" && g.Name == "" {
				d.pl.errorf(CodeInvalidField, ip, posOf(c), "a guard must be a name or {expr: \"...\"}")
				continue
			}
			if g.Expr != "" {
				g.Name = ""
			}
			out = append(out, g)
			d.src.guardItems = append(d.src.guardItems, at)
		default:
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "a guard must be a name or {expr: \"...\"}, not %s", kindName(c))
		}
	}
	return out, spanOf(start, len(d.src.guardItems), list)
}

var delayRe = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*$`)

func (d *decoder) delay(p path, n *yaml.Node) *Delay {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.pl.errorf(CodeInvalidDelay, p, posOf(n), "after must be milliseconds or a duration such as \"500ms\", \"1.5s\", \"2m\", \"1h\", not %s", kindName(n))
		return nil
	}
	ms, ok := parseDelay(n)
	if !ok {
		d.pl.errorf(CodeInvalidDelay, p, posOf(n), "after %q is not a delay; write whole milliseconds (1500) or a duration such as \"500ms\", \"1.5s\", \"2m\", \"1h\"", n.Value)
		return nil
	}
	if ms <= 0 || ms > 10*365*24*3600*1000 {
		d.pl.errorf(CodeInvalidDelay, p, posOf(n), "after must be more than 0 and at most ten years, not %q", n.Value)
		return nil
	}
	return &Delay{Millis: ms, Raw: n.Value}
}

func parseDelay(n *yaml.Node) (int64, bool) {
	switch n.Tag {
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			return 0, false
		}
		return i, true
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || f != math.Trunc(f) {
			return 0, false
		}
		return int64(f), true
	}
	m := delayRe.FindStringSubmatch(n.Value)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	mult := map[string]float64{"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}[m[2]]
	ms := f * mult
	if ms != math.Trunc(ms) || ms > math.MaxInt64/2 {
		return 0, false
	}
	return int64(ms), true
}
