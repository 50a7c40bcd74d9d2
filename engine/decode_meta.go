package engine

import (
	"math"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file reads the sections around the states and transitions: meta,
// state_variables, events, guards and error_policy.

func (d *decoder) meta(p path, n *yaml.Node, m *Meta) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "meta must be a mapping, not %s", kindName(n))
		return
	}
	var buf pairBuf
	for _, e := range d.pairs(p, n, buf[:0]) {
		fp := p.field(e.key)
		switch e.key {
		case "machine_name":
			if s, ok := d.text(fp, e.val); ok {
				m.MachineName = s
			}
		case "version":
			if s, ok := d.text(fp, e.val); ok {
				m.Version = s
			}
		case "description":
			if s, ok := d.text(fp, e.val); ok {
				m.Description = s
			}
		case "strict_mode":
			if b, ok := d.boolean(fp, e.val); ok {
				m.StrictMode = b
			}
		case "validate_context":
			if b, ok := d.boolean(fp, e.val); ok {
				m.ValidateContext = b
			}
		default:
			if m.Extra == nil {
				m.Extra = map[string]any{}
			}
			m.Extra[e.key] = d.value(fp, e.val, 1)
		}
	}
}

var variableTypes = map[string]bool{TypeString: true, TypeNumber: true, TypeInteger: true, TypeBoolean: true, TypeObject: true, TypeArray: true}

// variableAliases are the Python type names pystator accepts.
var variableAliases = map[string]string{"str": TypeString, "float": TypeNumber, "int": TypeInteger, "bool": TypeBoolean, "dict": TypeObject, "list": TypeArray}

// variables reads state_variables, or an event's payload.
func (d *decoder) variables(p path, n *yaml.Node) []Variable {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "%s must be a list, not %s", lastSeg(p.String()), kindName(n))
		return nil
	}
	var out []Variable
	seen := map[string]bool{}
	for i, c := range n.Content {
		ip := p.item(i)
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		var v Variable
		var defaultAt srcPos
		switch c.Kind {
		case yaml.ScalarNode:
			s, ok := d.text(ip, c)
			if !ok || s == "" {
				d.pl.errorf(CodeInvalidField, ip, posOf(c), "a variable needs a key")
				continue
			}
			v.Key = s
		case yaml.MappingNode:
			var buf pairBuf
			for _, e := range d.pairs(ip, c, buf[:0]) {
				fp := ip.field(e.key)
				switch e.key {
				case "key", "name":
					v.Key, _ = d.text(fp, e.val)
				case "type":
					if t, ok := d.text(fp, e.val); ok {
						t = strings.ToLower(t)
						if alias, ok := variableAliases[t]; ok {
							t = alias
						}
						if !variableTypes[t] {
							d.pl.errorf(CodeInvalidField, fp, posOf(e.val), "unknown type %q; use string, number, integer, boolean, object or array", t)
						} else {
							v.Type = t
						}
					}
				case "description":
					v.Description, _ = d.text(fp, e.val)
				case "default":
					v.Default = d.value(fp, e.val, 1)
					v.HasDefault = true
					defaultAt = posOf(e.val)
				case "required":
					v.Required, _ = d.boolean(fp, e.val)
				}
			}
			if v.Key == "" {
				d.pl.errorf(CodeInvalidField, ip, posOf(c), "a variable needs a `key`")
				continue
			}
		default:
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "a variable must be a key name or a mapping with `key`, not %s", kindName(c))
			continue
		}
		if seen[v.Key] {
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "the variable %q is declared twice", v.Key)
			continue
		}
		seen[v.Key] = true
		if v.HasDefault && v.Default != nil && v.Type != "" {
			if problem := typeProblem(v.Type, v.Default); problem != "" {
				d.pl.errorf(CodeInvalidField, ip.field("default"), defaultAt, "the default of %q %s", v.Key, problem)
			}
		}
		out = append(out, v)
	}
	return out
}

func (d *decoder) events(p path, n *yaml.Node) []EventDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "events must be a list, not %s", kindName(n))
		return nil
	}
	var out []EventDef
	for i, c := range n.Content {
		ip := p.item(i)
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		var e EventDef
		at := eventPos{item: itemPos{at: posOf(c), index: int32(i)}}
		switch c.Kind {
		case yaml.ScalarNode:
			e.Name, _ = d.text(ip.field("name"), c)
			at.name = at.item.at
		case yaml.MappingNode:
			var buf pairBuf
			for _, f := range d.pairs(ip, c, buf[:0]) {
				fp := ip.field(f.key)
				switch f.key {
				case "name", "trigger":
					e.Name, _ = d.text(fp, f.val)
					at.name = posOf(f.val)
				case "description":
					e.Description, _ = d.text(fp, f.val)
				case "payload":
					e.Payload = d.variables(fp, f.val)
				}
			}
		default:
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "an event must be a name or a mapping with `name`, not %s", kindName(c))
			continue
		}
		if e.Name == "" {
			d.pl.errorf(CodeInvalidField, ip, posOf(c), "an event needs a `name`")
			continue
		}
		out = append(out, e)
		d.src.events = append(d.src.events, at)
	}
	return out
}

func (d *decoder) guardDefs(p path, n *yaml.Node) []GuardDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "guards must be a mapping of name: expression, not %s", kindName(n))
		return nil
	}
	var out []GuardDef
	var buf pairBuf
	for _, e := range d.pairs(p, n, buf[:0]) {
		fp := p.field(e.key)
		v := e.val
		if v.Kind == yaml.MappingNode {
			var buf pairBuf
			for _, q := range d.pairs(fp, v, buf[:0]) {
				if q.key == "expr" {
					v = q.val
				}
			}
		}
		if v.Kind != yaml.ScalarNode || isNull(v) {
			d.pl.errorf(CodeInvalidField, fp, posOf(e.val), "the guard %q must be an expression string, not %s", e.key, kindName(v))
			continue
		}
		out = append(out, GuardDef{Name: e.key, Expr: v.Value})
		d.src.guards = append(d.src.guards, guardDefPos{at: posOf(e.val), expr: exprStart(v)})
	}
	return out
}

func (d *decoder) errorPolicy(p path, n *yaml.Node) *ErrorPolicy {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidField, p, posOf(n), "error_policy must be a mapping, not %s", kindName(n))
		return nil
	}
	ep := &ErrorPolicy{}
	var buf pairBuf
	for _, e := range d.pairs(p, n, buf[:0]) {
		fp := p.field(e.key)
		switch e.key {
		case "default_fallback":
			ep.DefaultFallback, _ = d.text(fp, e.val)
			d.src.fallback = posOf(e.val)
		case "retry_attempts":
			if f, ok := d.number(fp, e.val); ok {
				if f < 0 || f != math.Trunc(f) || f > 1000 {
					d.pl.errorf(CodeInvalidField, fp, posOf(e.val), "retry_attempts must be a whole number from 0 to 1000")
				} else {
					ep.RetryAttempts = int(f)
				}
			}
		}
	}
	return ep
}
