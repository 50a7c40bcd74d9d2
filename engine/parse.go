package engine

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder turns yaml.v3 nodes into a Definition, recording the position of every
// path it visits so that later checks can place their problems.
type decoder struct {
	pl     *problemList
	lim    Limits
	visits int
	over   bool // the node budget is spent; stop walking
}

// parseText reads YAML or JSON text into a Definition. The definition is nil when
// the text cannot be read at all (syntax error, wrong root, limits).
func parseText(data []byte, lim Limits, pl *problemList) *Definition {
	if len(data) > lim.MaxTextBytes {
		pl.errorf(CodeLimitExceeded, "", "the machine text is %d bytes; the limit is %d bytes", len(data), lim.MaxTextBytes)
		return nil
	}
	if looksLikeJSON(data) {
		if p, ok := jsonSyntaxProblem(data); !ok {
			pl.list = append(pl.list, p)
			return nil
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pl.list = append(pl.list, yamlSyntaxProblem(data, err))
		return nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			pl.errorf(CodeInvalidRoot, "", "the document is empty; a machine needs at least `states:` and `transitions:`")
			return nil
		}
		root = root.Content[0]
	}
	if root.Kind == 0 {
		pl.errorf(CodeInvalidRoot, "", "the document is empty; a machine needs at least `states:` and `transitions:`")
		return nil
	}
	pl.root = root
	if at, path, over := overExpanded(root, lim.MaxNodes); over {
		pl.addAt(SeverityError, CodeLimitExceeded, path, Pos{at.Line, at.Column},
			"the document expands to more than %d YAML nodes when its aliases are followed (an alias repeats a large block)", lim.MaxNodes)
		return nil
	}
	d := &decoder{pl: pl, lim: lim}
	return d.definition(root)
}

// parseNode reads an already built node tree (from LoadMap) into a Definition.
func parseNode(root *yaml.Node, lim Limits, pl *problemList) *Definition {
	d := &decoder{pl: pl, lim: lim}
	return d.definition(root)
}

// ---- node helpers ----

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
		d.pl.errorf(CodeLimitExceeded, "", "the document expands to more than %d YAML nodes (are aliases repeating a large block?)", d.lim.MaxNodes)
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

type pair struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
	merged  bool
}

// pairs lists a mapping's entries in document order, applying `<<` merge keys and
// reporting duplicate keys (the later one wins, as in YAML libraries).
func (d *decoder) pairs(path string, n *yaml.Node) []pair {
	return d.pairsAt(func() string { return path }, n)
}

// pathFn builds a problem path on demand, so that decoding a valid machine
// builds no path strings (a large machine would build thousands).
type pathFn func() string

// pairsAt is pairs with the mapping's path built only for a problem.
func (d *decoder) pairsAt(path pathFn, n *yaml.Node) []pair {
	out := make([]pair, 0, len(n.Content)/2)
	return d.collectPairs(path, n, false, out)
}

func (d *decoder) collectPairs(path pathFn, m *yaml.Node, merged bool, out []pair) []pair {
	for i := 0; i+1 < len(m.Content) && !d.over; i += 2 {
		k, v := d.deref(m.Content[i]), d.deref(m.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.pl.add(SeverityError, CodeInvalidField, path(), "a key must be a plain name, not %s", kindName(k))
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" {
			switch v.Kind {
			case yaml.MappingNode:
				out = d.collectPairs(path, v, true, out)
			case yaml.SequenceNode:
				for _, s := range v.Content {
					if s = d.deref(s); s != nil && s.Kind == yaml.MappingNode {
						out = d.collectPairs(path, s, true, out)
					}
				}
			}
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
				continue // explicit keys override merged ones
			}
			if !out[j].merged {
				d.pl.addAt(SeverityError, CodeInvalidField, joinKey(path(), k.Value), Pos{k.Line, k.Column}, "the key %q appears twice in this mapping", k.Value)
			}
			out[j] = pair{k.Value, k, v, false}
			continue
		}
		out = append(out, pair{k.Value, k, v, merged})
	}
	return out
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// text reads a scalar as text. Names accept any scalar (YAML 1.2: `on`, `yes`
// stay strings; `1` becomes "1"); a mapping or list is a type error.
func (d *decoder) text(base, key string, n *yaml.Node) (string, bool) {
	return d.textAt(func() string { return joinKey(base, key) }, n)
}

// textAt is text with the value's path built only for a problem.
func (d *decoder) textAt(path pathFn, n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p := path()
		d.pl.errorf(CodeInvalidField, p, "%s must be a string, not %s", lastSeg(p), kindName(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", false
	}
	return n.Value, true
}

func (d *decoder) boolean(base, key string, n *yaml.Node) (bool, bool) {
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
	path := joinKey(base, key)
	d.pl.errorf(CodeInvalidField, path, "%s must be true or false, not %s%s", lastSeg(path), kindName(n), hint)
	return false, false
}

func (d *decoder) number(base, key string, n *yaml.Node) (float64, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		var f float64
		if err := n.Decode(&f); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f, true
		}
	}
	path := joinKey(base, key)
	d.pl.errorf(CodeInvalidField, path, "%s must be a number, not %s", lastSeg(path), kindName(n))
	return 0, false
}

func lastSeg(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		seg := path[i+1:]
		if path[i] == '[' {
			// "states[2]" -> "states[2]" item; name the list
			j := strings.LastIndexAny(path[:i], ".")
			return path[j+1:]
		}
		return seg
	}
	if path == "" {
		return "the document"
	}
	return path
}

// value converts a node to a plain Go value (map[string]any, []any, string,
// int, float64, bool, nil), bounded in depth and charged against the node budget.
func (d *decoder) value(path string, n *yaml.Node, depth int) any {
	n = d.deref(n)
	if n == nil || d.over {
		return nil
	}
	if depth > d.lim.MaxDepth {
		d.pl.errorf(CodeLimitExceeded, path, "the value is nested more than %d levels deep", d.lim.MaxDepth)
		d.over = true
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for _, p := range d.pairs(path, n) {
			m[p.key] = d.value(joinKey(path, p.key), p.val, depth+1)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			s = append(s, d.value(idx(path, i), c, depth+1))
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

// ---- the definition ----

func (d *decoder) definition(root *yaml.Node) *Definition {
	root = d.deref(root)
	if root == nil || root.Kind != yaml.MappingNode {
		what := "nothing"
		if root != nil {
			what = kindName(root)
		}
		d.pl.errorf(CodeInvalidRoot, "", "the document must be a mapping with `states:` and `transitions:`, not %s", what)
		return nil
	}
	def := &Definition{Meta: Meta{MachineName: "unnamed", Version: "0.0.0", StrictMode: true}}
	var haveStates, haveTransitions bool
	for _, p := range d.pairs("", root) {
		if d.over {
			break
		}
		switch p.key {
		case "meta":
			d.meta(p.val, &def.Meta)
		case "state_variables":
			def.StateVariables = d.variables("state_variables", p.val)
		case "events":
			def.Events = d.events(p.val)
		case "guards":
			def.Guards = d.guardDefs(p.val)
		case "states":
			haveStates = true
			def.States = d.states(p.val)
		case "transitions":
			haveTransitions = true
			def.Transitions = d.transitions(p.val)
		case "error_policy":
			def.ErrorPolicy = d.errorPolicy(p.val)
		}
	}
	if !haveStates && !d.over {
		d.pl.errorf(CodeInvalidField, "states", "`states:` is missing; a machine needs at least one state")
	}
	if !haveTransitions && !d.over {
		d.pl.errorf(CodeInvalidField, "transitions", "`transitions:` is missing; write `transitions: []` for a machine without transitions")
	}
	return def
}

func (d *decoder) meta(n *yaml.Node, m *Meta) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidField, "meta", "meta must be a mapping, not %s", kindName(n))
		return
	}
	for _, p := range d.pairs("meta", n) {
		switch p.key {
		case "machine_name":
			if s, ok := d.text("meta", p.key, p.val); ok {
				m.MachineName = s
			}
		case "version":
			if s, ok := d.text("meta", p.key, p.val); ok {
				m.Version = s
			}
		case "description":
			if s, ok := d.text("meta", p.key, p.val); ok {
				m.Description = s
			}
		case "strict_mode":
			if b, ok := d.boolean("meta", p.key, p.val); ok {
				m.StrictMode = b
			}
		case "validate_context":
			if b, ok := d.boolean("meta", p.key, p.val); ok {
				m.ValidateContext = b
			}
		default:
			if m.Extra == nil {
				m.Extra = map[string]any{}
			}
			m.Extra[p.key] = d.value(joinKey("meta", p.key), p.val, 1)
		}
	}
}

var variableTypes = map[string]bool{TypeString: true, TypeNumber: true, TypeInteger: true, TypeBoolean: true, TypeObject: true, TypeArray: true}

func (d *decoder) variables(path string, n *yaml.Node) []Variable {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, path, "%s must be a list, not %s", lastSeg(path), kindName(n))
		return nil
	}
	var out []Variable
	seen := map[string]bool{}
	for i, c := range n.Content {
		ip := idx(path, i)
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		var v Variable
		switch c.Kind {
		case yaml.ScalarNode:
			s, ok := d.text(ip, "", c)
			if !ok || s == "" {
				d.pl.errorf(CodeInvalidField, ip, "a variable needs a key")
				continue
			}
			v.Key = s
		case yaml.MappingNode:
			for _, p := range d.pairs(ip, c) {
				switch p.key {
				case "key", "name":
					v.Key, _ = d.text(ip, p.key, p.val)
				case "type":
					if t, ok := d.text(ip, p.key, p.val); ok {
						t = strings.ToLower(t)
						if t == "str" || t == "float" || t == "int" || t == "bool" || t == "dict" || t == "list" {
							t = map[string]string{"str": TypeString, "float": TypeNumber, "int": TypeInteger, "bool": TypeBoolean, "dict": TypeObject, "list": TypeArray}[t]
						}
						if !variableTypes[t] {
							d.pl.errorf(CodeInvalidField, joinKey(ip, p.key), "unknown type %q; use string, number, integer, boolean, object or array", t)
						} else {
							v.Type = t
						}
					}
				case "description":
					v.Description, _ = d.text(ip, p.key, p.val)
				case "default":
					v.Default = d.value(joinKey(ip, p.key), p.val, 1)
					v.HasDefault = true
				case "required":
					v.Required, _ = d.boolean(ip, p.key, p.val)
				}
			}
			if v.Key == "" {
				d.pl.errorf(CodeInvalidField, ip, "a variable needs a `key`")
				continue
			}
		default:
			d.pl.errorf(CodeInvalidField, ip, "a variable must be a key name or a mapping with `key`, not %s", kindName(c))
			continue
		}
		if seen[v.Key] {
			d.pl.errorf(CodeInvalidField, ip, "the variable %q is declared twice", v.Key)
			continue
		}
		seen[v.Key] = true
		if v.HasDefault && v.Default != nil && v.Type != "" {
			if problem := typeProblem(v.Type, v.Default); problem != "" {
				d.pl.errorf(CodeInvalidField, joinKey(ip, "default"), "the default of %q %s", v.Key, problem)
			}
		}
		out = append(out, v)
	}
	return out
}

func (d *decoder) events(n *yaml.Node) []EventDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, "events", "events must be a list, not %s", kindName(n))
		return nil
	}
	var out []EventDef
	for i, c := range n.Content {
		ip := idx("events", i)
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		var e EventDef
		switch c.Kind {
		case yaml.ScalarNode:
			e.Name, _ = d.text(joinKey(ip, "name"), "", c)
		case yaml.MappingNode:
			for _, p := range d.pairs(ip, c) {
				switch p.key {
				case "name", "trigger":
					e.Name, _ = d.text(ip, p.key, p.val)
				case "description":
					e.Description, _ = d.text(ip, p.key, p.val)
				case "payload":
					e.Payload = d.variables(joinKey(ip, p.key), p.val)
				}
			}
		default:
			d.pl.errorf(CodeInvalidField, ip, "an event must be a name or a mapping with `name`, not %s", kindName(c))
			continue
		}
		if e.Name == "" {
			d.pl.errorf(CodeInvalidField, ip, "an event needs a `name`")
			continue
		}
		out = append(out, e)
	}
	return out
}

func (d *decoder) guardDefs(n *yaml.Node) []GuardDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidField, "guards", "guards must be a mapping of name: expression, not %s", kindName(n))
		return nil
	}
	var out []GuardDef
	for _, p := range d.pairs("guards", n) {
		g := GuardDef{Name: p.key}
		v := p.val
		if v.Kind == yaml.MappingNode {
			for _, q := range d.pairs(joinKey("guards", p.key), v) {
				if q.key == "expr" {
					v = q.val
				}
			}
		}
		if v.Kind != yaml.ScalarNode || isNull(v) {
			d.pl.errorf(CodeInvalidField, joinKey("guards", p.key), "the guard %q must be an expression string, not %s", p.key, kindName(v))
			continue
		}
		g.Expr = v.Value
		out = append(out, g)
	}
	return out
}

func (d *decoder) errorPolicy(n *yaml.Node) *ErrorPolicy {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidField, "error_policy", "error_policy must be a mapping, not %s", kindName(n))
		return nil
	}
	ep := &ErrorPolicy{}
	for _, p := range d.pairs("error_policy", n) {
		switch p.key {
		case "default_fallback":
			ep.DefaultFallback, _ = d.text("error_policy", p.key, p.val)
		case "retry_attempts":
			if f, ok := d.number("error_policy", p.key, p.val); ok {
				if f < 0 || f != math.Trunc(f) || f > 1000 {
					d.pl.errorf(CodeInvalidField, joinKey("error_policy", p.key), "retry_attempts must be a whole number from 0 to 1000")
				} else {
					ep.RetryAttempts = int(f)
				}
			}
		}
	}
	return ep
}

// actions reads "name", [names], {name, params} or a list mixing both.
func (d *decoder) actions(path pathFn, n *yaml.Node) []Action {
	if isNull(n) {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		s, _ := d.textAt(path, n)
		return []Action{{Name: s}}
	case yaml.MappingNode:
		if a, ok := d.action(path, n); ok {
			return []Action{a}
		}
		return nil
	case yaml.SequenceNode:
		out := make([]Action, 0, len(n.Content))
		for i, c := range n.Content {
			ip := func() string { return idx(path(), i) }
			c = d.deref(c)
			if c == nil {
				continue
			}
			switch c.Kind {
			case yaml.ScalarNode:
				s, _ := d.textAt(ip, c)
				out = append(out, Action{Name: s})
			case yaml.MappingNode:
				if a, ok := d.action(ip, c); ok {
					out = append(out, a)
				}
			default:
				d.pl.errorf(CodeInvalidField, ip(), "an action must be a name or {name, params}, not %s", kindName(c))
			}
		}
		return out
	}
	d.pl.errorf(CodeInvalidField, path(), "actions must be a name, a list, or {name, params}, not %s", kindName(n))
	return nil
}

func (d *decoder) action(path pathFn, n *yaml.Node) (Action, bool) {
	var a Action
	for _, p := range d.pairsAt(path, n) {
		switch p.key {
		case "name":
			a.Name, _ = d.textAt(func() string { return joinKey(path(), p.key) }, p.val)
		case "params":
			if isNull(p.val) {
				continue
			}
			if p.val.Kind != yaml.MappingNode {
				d.pl.errorf(CodeInvalidField, joinKey(path(), p.key), "params must be a mapping, not %s", kindName(p.val))
				continue
			}
			a.Params, _ = d.value(joinKey(path(), p.key), p.val, 1).(map[string]any)
		}
	}
	if a.Name == "" {
		d.pl.errorf(CodeInvalidField, path(), "an action needs a `name`")
		return a, false
	}
	return a, true
}

// names reads one name or a list of names.
func (d *decoder) names(path pathFn, n *yaml.Node) []string {
	if isNull(n) {
		return nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		s, _ := d.textAt(path, n)
		return []string{s}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for i, c := range n.Content {
			c = d.deref(c)
			if c == nil {
				continue
			}
			s, ok := d.textAt(func() string { return idx(path(), i) }, c)
			if ok {
				out = append(out, s)
			}
		}
		return out
	}
	p := path()
	d.pl.errorf(CodeInvalidField, p, "%s must be a name or a list of names, not %s", lastSeg(p), kindName(n))
	return nil
}

func (d *decoder) states(n *yaml.Node) []StateDef {
	if isNull(n) {
		d.pl.errorf(CodeInvalidField, "states", "states must list at least one state")
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, "states", "states must be a list, not %s", kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.pl.errorf(CodeInvalidField, "states", "states must list at least one state")
		return nil
	}
	if len(n.Content) > d.lim.MaxStates {
		d.pl.errorf(CodeLimitExceeded, "states", "the machine has %d states; the limit is %d", len(n.Content), d.lim.MaxStates)
		return nil
	}
	out := make([]StateDef, 0, len(n.Content))
	for i, c := range n.Content {
		ip := func() string { return idx("states", i) } // built only for a problem
		key := func(k string) pathFn { return func() string { return joinKey(ip(), k) } }
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		s := StateDef{Type: StateStable}
		switch c.Kind {
		case yaml.ScalarNode:
			s.Name, _ = d.textAt(key("name"), c)
		case yaml.MappingNode:
			hasType := false
			for _, p := range d.pairsAt(ip, c) {
				switch p.key {
				case "name":
					s.Name, _ = d.textAt(key(p.key), p.val)
				case "type":
					if t, ok := d.textAt(key(p.key), p.val); ok {
						s.Type = t
						hasType = true
					}
				case "description":
					s.Description, _ = d.textAt(key(p.key), p.val)
				case "parent":
					s.Parent, _ = d.textAt(key(p.key), p.val)
				case "initial_child":
					s.InitialChild, _ = d.textAt(key(p.key), p.val)
				case "timeout":
					s.Timeout = d.timeout(joinKey(ip(), p.key), p.val)
				case "on_enter":
					s.OnEnter = d.actions(key(p.key), p.val)
				case "on_exit":
					s.OnExit = d.actions(key(p.key), p.val)
				case "regions":
					s.Regions = d.regions(joinKey(ip(), p.key), p.val)
					if s.Regions == nil {
						s.Regions = []RegionDef{}
					}
				default:
					if s.Metadata == nil {
						s.Metadata = map[string]any{}
					}
					s.Metadata[p.key] = d.value(joinKey(ip(), p.key), p.val, 1)
				}
			}
			if !hasType && len(s.Regions) > 0 {
				s.Type = StateParallel
			}
		default:
			d.pl.errorf(CodeInvalidField, ip(), "a state must be a mapping with `name`, not %s", kindName(c))
			continue
		}
		if s.Name == "" {
			d.pl.errorf(CodeInvalidField, ip(), "a state needs a `name`")
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) timeout(path string, n *yaml.Node) *TimeoutDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.pl.errorf(CodeInvalidTimeout, path, "timeout must be {seconds, destination}, not %s", kindName(n))
		return nil
	}
	t := &TimeoutDef{}
	var haveSeconds bool
	for _, p := range d.pairs(path, n) {
		switch p.key {
		case "seconds":
			if p.val.Kind == yaml.ScalarNode && (p.val.Tag == "!!int" || p.val.Tag == "!!float") {
				f, _ := d.number(path, p.key, p.val)
				if f <= 0 || f > 10*365*24*3600 {
					d.pl.errorf(CodeInvalidTimeout, joinKey(path, p.key), "timeout seconds must be more than 0 and at most ten years, not %v", f)
					return nil
				}
				t.Seconds = f
				haveSeconds = true
			} else {
				d.pl.errorf(CodeInvalidTimeout, joinKey(path, p.key), "timeout seconds must be a number, not %s", kindName(p.val))
				return nil
			}
		case "destination", "dest":
			t.Destination, _ = d.text(path, p.key, p.val)
		}
	}
	if !haveSeconds {
		d.pl.errorf(CodeInvalidTimeout, path, "timeout needs `seconds`")
		return nil
	}
	if t.Destination == "" {
		d.pl.errorf(CodeInvalidTimeout, path, "timeout needs a `destination` state")
		return nil
	}
	return t
}

func (d *decoder) regions(path string, n *yaml.Node) []RegionDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, path, "regions must be a list, not %s", kindName(n))
		return nil
	}
	var out []RegionDef
	for i, c := range n.Content {
		ip := idx(path, i)
		c = d.deref(c)
		if c == nil {
			continue
		}
		if c.Kind != yaml.MappingNode {
			d.pl.errorf(CodeInvalidField, ip, "a region must be a mapping {name, initial, states}, not %s", kindName(c))
			continue
		}
		var r RegionDef
		for _, p := range d.pairs(ip, c) {
			switch p.key {
			case "name":
				r.Name, _ = d.text(ip, p.key, p.val)
			case "initial":
				r.Initial, _ = d.text(ip, p.key, p.val)
			case "states":
				r.States = d.names(func() string { return joinKey(ip, p.key) }, p.val)
			}
		}
		if r.Name == "" {
			d.pl.errorf(CodeInvalidField, ip, "a region needs a `name`")
			continue
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) transitions(n *yaml.Node) []TransitionDef {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.pl.errorf(CodeInvalidField, "transitions", "transitions must be a list, not %s", kindName(n))
		return nil
	}
	if len(n.Content) > d.lim.MaxTransitions {
		d.pl.errorf(CodeLimitExceeded, "transitions", "the machine has %d transitions; the limit is %d", len(n.Content), d.lim.MaxTransitions)
		return nil
	}
	out := make([]TransitionDef, 0, len(n.Content))
	for i, c := range n.Content {
		ip := func() string { return idx("transitions", i) } // built only for a problem
		key := func(k string) pathFn { return func() string { return joinKey(ip(), k) } }
		c = d.deref(c)
		if c == nil || d.over {
			continue
		}
		if c.Kind != yaml.MappingNode {
			d.pl.errorf(CodeInvalidField, ip(), "a transition must be a mapping {trigger, source, dest}, not %s", kindName(c))
			out = append(out, TransitionDef{})
			continue
		}
		var t TransitionDef
		var haveSource, haveDest bool
		for _, p := range d.pairsAt(ip, c) {
			switch p.key {
			case "trigger":
				t.Trigger, _ = d.textAt(key(p.key), p.val)
			case "source":
				haveSource = true
				t.Source = d.names(key(p.key), p.val)
			case "dest":
				haveDest = true
				t.Dest, _ = d.textAt(key(p.key), p.val)
			case "guards":
				t.Guards = d.guardRefs(key(p.key), p.val)
			case "actions":
				t.Actions = d.actions(key(p.key), p.val)
			case "region":
				t.Region, _ = d.textAt(key(p.key), p.val)
			case "description":
				t.Description, _ = d.textAt(key(p.key), p.val)
			case "after":
				t.After = d.delay(joinKey(ip(), p.key), p.val)
				if t.After == nil {
					t.After = &Delay{} // marked bad; keeps the synthetic-trigger rule from misfiring
				}
			default:
				if t.Metadata == nil {
					t.Metadata = map[string]any{}
				}
				t.Metadata[p.key] = d.value(joinKey(ip(), p.key), p.val, 1)
			}
		}
		if !haveSource || len(t.Source) == 0 {
			d.pl.errorf(CodeInvalidField, ip(), "a transition needs a `source` state")
		}
		if !haveDest || t.Dest == "" {
			d.pl.errorf(CodeInvalidField, ip(), "a transition needs a `dest` state")
		}
		if t.Trigger == "" && t.After == nil {
			d.pl.errorf(CodeInvalidField, ip(), "a transition needs a `trigger` (or `after:` for a delayed one)")
		}
		out = append(out, t)
	}
	return out
}

func (d *decoder) guardRefs(path pathFn, n *yaml.Node) []GuardRef {
	if isNull(n) {
		return nil
	}
	var items []*yaml.Node
	switch n.Kind {
	case yaml.SequenceNode:
		items = n.Content
	case yaml.ScalarNode, yaml.MappingNode:
		items = []*yaml.Node{n}
	default:
		d.pl.errorf(CodeInvalidField, path(), "guards must be a list, not %s", kindName(n))
		return nil
	}
	out := make([]GuardRef, 0, len(items))
	for i, c := range items {
		ip := path
		if n.Kind == yaml.SequenceNode {
			ip = func() string { return idx(path(), i) }
		}
		c = d.deref(c)
		if c == nil {
			continue
		}
		switch c.Kind {
		case yaml.ScalarNode:
			s, ok := d.textAt(ip, c)
			if ok {
				out = append(out, GuardRef{Name: s})
			}
		case yaml.MappingNode:
			var g GuardRef
			for _, p := range d.pairsAt(ip, c) {
				if p.key == "expr" {
					if p.val.Kind != yaml.ScalarNode || isNull(p.val) {
						d.pl.errorf(CodeInvalidField, ip(), "expr must be an expression string, not %s", kindName(p.val))
						continue
					}
					g.Expr = p.val.Value
				} else if p.key == "name" {
					g.Name, _ = d.textAt(func() string { return joinKey(ip(), "name") }, p.val)
				}
			}
			if g.Expr == "" && g.Name == "" {
				d.pl.errorf(CodeInvalidField, ip(), "a guard must be a name or {expr: \"...\"}")
				continue
			}
			if g.Expr != "" {
				g.Name = ""
			}
			out = append(out, g)
		default:
			d.pl.errorf(CodeInvalidField, ip(), "a guard must be a name or {expr: \"...\"}, not %s", kindName(c))
		}
	}
	return out
}

var delayRe = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h)\s*$`)

func (d *decoder) delay(path string, n *yaml.Node) *Delay {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.pl.errorf(CodeInvalidDelay, path, "after must be milliseconds or a duration such as \"500ms\", \"1.5s\", \"2m\", \"1h\", not %s", kindName(n))
		return nil
	}
	ms, ok := parseDelay(n)
	if !ok {
		d.pl.errorf(CodeInvalidDelay, path, "after %q is not a delay; write whole milliseconds (1500) or a duration such as \"500ms\", \"1.5s\", \"2m\", \"1h\"", n.Value)
		return nil
	}
	if ms <= 0 || ms > 10*365*24*3600*1000 {
		d.pl.errorf(CodeInvalidDelay, path, "after must be more than 0 and at most ten years, not %q", n.Value)
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

// exprStart is where the text of an expression scalar begins: after the opening
// quote of a quoted scalar. Column offsets inside the expression add to it.
func exprStart(n *yaml.Node) exprAt {
	at := exprAt{Pos: Pos{n.Line, n.Column}}
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		at.Column++
		at.singleLine = true
	case 0, yaml.FlowStyle:
		at.singleLine = true
	}
	return at
}

// exprAt locates an expression's first character; offsets map onto the line
// only when the scalar sits on one line as written.
type exprAt struct {
	Pos
	singleLine bool
}
