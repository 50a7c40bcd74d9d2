package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Limits bound what a definition may contain (SPEC 11). The zero value of a
// field means the default.
type Limits struct {
	MaxTextBytes   int // machine text, default 512 KiB
	MaxStates      int // default 5,000
	MaxTransitions int // default 20,000
	MaxExprLen     int // characters in one guard expression, default 1,000
	MaxNodes       int // YAML nodes visited, aliases expanded, default 1,000,000
	MaxDepth       int // nesting of values such as params and defaults, default 32
}

// DefaultLimits are the limits of SPEC 11.
func DefaultLimits() Limits {
	return Limits{
		MaxTextBytes:   512 << 10,
		MaxStates:      5000,
		MaxTransitions: 20000,
		MaxExprLen:     1000,
		MaxNodes:       1_000_000,
		MaxDepth:       32,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxTextBytes > 0 {
		d.MaxTextBytes = l.MaxTextBytes
	}
	if l.MaxStates > 0 {
		d.MaxStates = l.MaxStates
	}
	if l.MaxTransitions > 0 {
		d.MaxTransitions = l.MaxTransitions
	}
	if l.MaxExprLen > 0 {
		d.MaxExprLen = l.MaxExprLen
	}
	if l.MaxNodes > 0 {
		d.MaxNodes = l.MaxNodes
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	return d
}

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

// overExpanded measures the document as its aliases expand it, in document
// order, and returns the alias (with its path) at which it passes limit nodes.
// Expanded sizes of anchored nodes are memoised, so an alias bomb ("billion
// laughs") is refused in time linear in the text, before anything expands it,
// wherever it sits (even under a key the engine ignores).
func overExpanded(root *yaml.Node, limit int) (*yaml.Node, string, bool) {
	e := &expansion{limit: limit}
	at, segs := e.find(root)
	if at == nil {
		return nil, "", false
	}
	var b strings.Builder
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteString(segs[i])
	}
	return at, strings.TrimPrefix(b.String(), "."), true
}

type expansion struct {
	limit int
	total int
	memo  map[*yaml.Node]int
}

// find adds n's expanded size to the running total and returns the node where
// the total passes the limit, with the path segments to it, innermost first.
func (e *expansion) find(n *yaml.Node) (*yaml.Node, []string) {
	if n.Kind == yaml.AliasNode {
		e.total += e.size(n)
	} else {
		e.total++
	}
	if e.total > e.limit {
		return n, nil
	}
	if n.Kind == yaml.AliasNode {
		return nil, nil
	}
	for i, c := range n.Content {
		at, segs := e.find(c)
		if at == nil {
			continue
		}
		switch {
		case n.Kind == yaml.SequenceNode:
			segs = append(segs, "["+strconv.Itoa(i)+"]")
		case n.Kind == yaml.MappingNode && i%2 == 1:
			segs = append(segs, "."+n.Content[i-1].Value)
		}
		return at, segs
	}
	return nil, nil
}

// size is the expanded size of n, capped at limit+1. A node that contains an
// alias of itself never ends: it counts as over the limit.
func (e *expansion) size(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1
		}
		n = n.Alias
	}
	if n.Anchor != "" {
		if s, ok := e.memo[n]; ok {
			return s
		}
		if e.memo == nil {
			e.memo = map[*yaml.Node]int{}
		}
		e.memo[n] = e.limit + 1
	}
	s := 1
	for _, c := range n.Content {
		if s += e.size(c); s > e.limit {
			s = e.limit + 1
			break
		}
	}
	if n.Anchor != "" {
		e.memo[n] = s
	}
	return s
}

// parseNode reads an already built node tree (from LoadMap) into a Definition.
func parseNode(root *yaml.Node, lim Limits, pl *problemList) *Definition {
	d := &decoder{pl: pl, lim: lim}
	return d.definition(root)
}

func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) > 0 && t[0] == '{' {
		// a JSON object starts with a quoted key; `{states: [...]}` is a
		// YAML flow mapping, read as YAML
		k := bytes.TrimLeft(t[1:], " \t\r\n")
		return len(k) == 0 || k[0] == '"' || k[0] == '}'
	}
	return len(t) > 0 && t[0] == '['
}

// jsonSyntaxProblem checks JSON text with encoding/json, whose errors carry a byte
// offset that converts to an exact line and column.
func jsonSyntaxProblem(data []byte) (Problem, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
			line, col := lineCol(data, len(data)-len(rest))
			return Problem{Code: CodeSyntaxError, Severity: SeverityError, Message: "unexpected text after the JSON document", Line: line, Column: col}, false
		}
		return Problem{}, true
	}
	var se *json.SyntaxError
	off := len(bytes.TrimRight(data, " \t\r\n")) // unexpected end: just after the last character
	msg := err.Error()
	if ok := asSyntax(err, &se); ok {
		// Offset counts the offending byte itself; point at it, not after it.
		off = int(se.Offset) - 1
		msg = se.Error()
	}
	if msg == "unexpected EOF" {
		msg = "unexpected end of JSON input: a bracket or quote is not closed"
	}
	line, col := lineCol(data, off)
	return Problem{Code: CodeSyntaxError, Severity: SeverityError, Message: "invalid JSON: " + msg, Line: line, Column: col}, false
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

// lineCol converts a byte offset to a 1-based line and column (in runes).
func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, 1 + len([]rune(string(data[start:off])))
}

var yamlLineRe = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: `)

// yamlSyntaxProblem turns a yaml.v3 error ("yaml: line 3: mapping values are not
// allowed in this context") into a problem with the line it names.
func yamlSyntaxProblem(data []byte, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := Problem{Code: CodeSyntaxError, Severity: SeverityError, Message: "invalid YAML: " + msg}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			p.Column, _ = strconv.Atoi(m[2])
		}
		p.Message = "invalid YAML: " + strings.Replace(msg, m[0], "", 1)
		if yamlParserError(p.Message) {
			p.Line++ // yaml.v3 reports a parser error's line 0-based
		}
	} else if m := yamlAnchorRe.FindStringSubmatch(msg); m != nil {
		// the alias is the first "*name" not followed by more name characters
		for i := 0; i >= 0 && i < len(data); {
			j := bytes.Index(data[i:], []byte("*"+m[1]))
			if j < 0 {
				break
			}
			i += j
			if end := i + 1 + len(m[1]); end == len(data) || !isAnchorChar(data[end]) {
				p.Line, p.Column = lineCol(data, i)
				break
			}
			i++
		}
	} else if off := firstBadRune(data); off >= 0 {
		// a reader error (bad UTF-8, control character) has no line
		p.Line, p.Column = lineCol(data, off)
	} else {
		// yaml.v3 leaves the line out when the error is on the first line
		p.Line = 1
	}
	if end := bytes.TrimRight(data, " \t\r\n"); p.Line > 1+bytes.Count(end, []byte{'\n'}) {
		// found at the end of the stream: point just after the last character
		p.Line, p.Column = lineCol(data, len(end))
	}
	if p.Line > 0 && p.Column == 0 {
		p.Column = firstColumn(data, p.Line)
	}
	if strings.Contains(msg, "found character that cannot start any token") && bytes.Contains(data, []byte("\t")) {
		p.Message += " (YAML does not allow tabs for indentation; use spaces)"
	}
	return p
}

var yamlAnchorRe = regexp.MustCompile(`^unknown anchor '([^']*)' referenced`)

// firstBadRune is the offset of the first byte YAML cannot read (invalid UTF-8
// or a control character), or -1.
func firstBadRune(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		bad := r == utf8.RuneError && n == 1 ||
			r < 0x20 && r != '\t' && r != '\n' && r != '\r' ||
			r >= 0x7f && r <= 0x9f && r != 0x85 || r == 0xfffe || r == 0xffff
		if bad {
			return i
		}
		i += n
	}
	return -1
}

func isAnchorChar(c byte) bool {
	return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ',' && c != ']' && c != '}'
}

// yamlParserError reports whether a yaml.v3 message comes from its parser
// (as opposed to its scanner): the parser numbers lines from 0.
func yamlParserError(msg string) bool {
	for _, p := range []string{"did not find expected ',' or", "did not find expected '-' indicator",
		"did not find expected <", "did not find expected key", "did not find expected node content",
		"found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// firstColumn is the column of the first non-blank character on a line.
func firstColumn(data []byte, line int) int {
	lines := bytes.Split(data, []byte{'\n'})
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return 1 + len(l) - len(bytes.TrimLeft(l, " \t"))
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
