package yamledit

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// kv is one key of a new entry with its value already written.
type kv struct{ key, val string }

// entryStyle is how the entries of a list are written, read from one of
// them (the model), so that a new entry looks like its siblings.
type entryStyle struct {
	scalar   bool // a bare name (`- idle`)
	flow     bool // a flow mapping ({...})
	pad      bool // with spaces inside the braces: "{ name: a }"
	multi    bool // a flow mapping with its keys on lines of their own
	keyInd   int  // block or multi-line: the keys' indentation
	closeInd int  // multi-line: the closing brace's indentation
	gap      int  // block list: the entry's column after the dash's
	dashOff  int  // block list: the dashes' indentation beyond the list's key
	model    *yaml.Node
}

// defaultStyle is used when a list has no entry to copy: flow mappings in a
// block list (`- {name: a, type: initial}`), the form of the SPEC's examples.
var defaultStyle = entryStyle{flow: true, gap: 2, dashOff: 2}

// styleOf reads the style of a list's last entry written out (not an
// alias). key is the mapping key the list is the value of.
func (e *editor) styleOf(seq, key *yaml.Node) (entryStyle, bool) {
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return entryStyle{}, false
	}
	for i := len(seq.Content) - 1; i >= 0; i-- {
		n := seq.Content[i]
		if n.Kind == yaml.AliasNode {
			continue
		}
		st := entryStyle{model: n, gap: max(1, n.Column-seq.Column), dashOff: 2}
		if key != nil && seq.Style&yaml.FlowStyle == 0 {
			st.dashOff = max(0, seq.Column-key.Column)
		}
		switch {
		case n.Kind == yaml.ScalarNode:
			st.scalar = true
			st.flow = true
		case n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle != 0:
			st.flow = true
			open := e.src.valueStart(n)
			st.pad = open+1 < len(e.src.s) && e.src.s[open+1] == ' '
			if len(n.Content) > 0 && n.Content[0].Line != n.Line {
				st.multi = true
				st.keyInd = n.Content[0].Column - 1
				if end := e.end(n, -1); end > 0 {
					st.closeInd = e.src.column(end-1) - 1
				}
			}
		case n.Kind == yaml.MappingNode && len(n.Content) > 0:
			st.keyInd = n.Content[0].Column - 1
			st.gap = max(1, n.Content[0].Column-seq.Column)
		default:
			continue
		}
		return st, true
	}
	return entryStyle{}, false
}

// keyText writes a key: quoted in JSON.
func (e *editor) keyText(k string) string {
	if e.src.json {
		return Quote(k)
	}
	return k
}

// flowMap writes a new entry as a flow mapping in the model's layout.
func (e *editor) flowMap(st entryStyle, kvs []kv) string {
	parts := make([]string, len(kvs))
	for i, p := range kvs {
		parts[i] = e.keyText(p.key) + ": " + p.val
	}
	switch {
	case st.multi:
		ind := strings.Repeat(" ", st.keyInd)
		return "{" + e.src.eol + ind + strings.Join(parts, ","+e.src.eol+ind) + e.src.eol + strings.Repeat(" ", st.closeInd) + "}"
	case st.pad:
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// blockItem writes a new entry as the lines of a block mapping list item.
func (e *editor) blockItem(dashInd, gap int, kvs []kv) []string {
	out := make([]string, len(kvs))
	for i, p := range kvs {
		ind := strings.Repeat(" ", dashInd+gap)
		if i == 0 {
			ind = strings.Repeat(" ", dashInd) + "-" + strings.Repeat(" ", gap-1)
		}
		out[i] = ind + e.keyText(p.key) + ": " + p.val
	}
	return out
}

// appendEntry adds an entry at the end of a list: the value of key, which
// may be an empty flow list or nothing yet. name is the entry as a bare
// name when siblings are bare names ("" when it cannot be one); fallback is
// the style to use when the list has no entry to copy.
func (e *editor) appendEntry(val, key *yaml.Node, kvs []kv, name string, fallback entryStyle, fallbackFlowList bool) {
	if e.err != nil {
		return
	}
	st, ok := e.styleOf(val, key)
	item := func(st entryStyle) string {
		if st.scalar && name != "" {
			return name
		}
		return e.flowMap(st, kvs)
	}
	switch {
	case ok && val.Style&yaml.FlowStyle != 0:
		e.insertFlow(e.itemSpans(val), e.src.valueStart(val), len(val.Content), item(st))
	case ok:
		spans := e.itemSpans(val)
		dashInd := val.Column - 1
		var lines []string
		if st.flow {
			lines = []string{strings.Repeat(" ", dashInd) + "-" + strings.Repeat(" ", st.gap-1) + item(st)}
		} else {
			lines = e.blockItem(dashInd, st.gap, kvs)
		}
		e.insertLines(e.src.nextLine(spans[len(spans)-1].end-1), lines)
	case isEmptyList(val) || isNull(val):
		if fallback.scalar && name == "" {
			fallback = entryStyle{flow: true, gap: fallback.gap, dashOff: fallback.dashOff}
		}
		if e.src.json || fallbackFlowList {
			if isNull(val) {
				e.replaceValue(val, -1, "["+item(fallback)+"]")
			} else {
				e.insertFlow(nil, e.src.valueStart(val), 0, item(fallback))
			}
			return
		}
		// `key: []` or `key:` in a block document becomes a block list
		colon := e.colonAfter(key)
		if !(val.Tag == "!!null" && val.Value == "") {
			// `[]` goes; a comment after it keeps its column
			end := e.end(val, -1)
			fill := ""
			if strings.TrimSpace(e.src.s[end:e.src.lineEnd(end)]) != "" {
				fill = strings.Repeat(" ", end-colon)
			}
			e.add(colon, end, fill)
		}
		dashInd := key.Column - 1 + fallback.dashOff
		var lines []string
		if fallback.flow {
			lines = []string{strings.Repeat(" ", dashInd) + "-" + strings.Repeat(" ", fallback.gap-1) + item(fallback)}
		} else {
			lines = e.blockItem(dashInd, fallback.gap, kvs)
		}
		e.insertLines(e.src.nextLine(colon-1), lines)
	default:
		e.fail(refuse(ErrUnsupported, e.op, "", "the value of %s at line %d is not a list; make it a list first", key.Value, val.Line))
	}
}

func isEmptyList(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.SequenceNode && len(n.Content) == 0
}

func isNull(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// flowValue writes a value of an action's params (or any decoded JSON value)
// as flow YAML, or JSON in a JSON text; map keys in sorted order.
func (e *editor) flowValue(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(t)
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return "null"
		}
		return strconv.FormatFloat(t, 'g', -1, 64)
	case int:
		return strconv.Itoa(t)
	case json.Number:
		return t.String()
	case string:
		if !e.src.json && plainSafe(t) && !looksNumeric(t) {
			return t
		}
		return Quote(t)
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = e.flowValue(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			kt := Quote(k)
			if !e.src.json && plainSafe(k) && !looksNumeric(k) {
				kt = k
			}
			parts[i] = kt + ": " + e.flowValue(t[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// looksNumeric reports whether YAML could read a name as a number.
func looksNumeric(s string) bool {
	return s != "" && (s[0] >= '0' && s[0] <= '9')
}

// guardText writes one guard as a list item: a name, or {expr: "..."}.
func (e *editor) guardText(g Guard) string {
	if g.Expr == "" {
		return e.scalarText(g.Name, 0)
	}
	return "{" + e.keyText("expr") + ": " + Quote(g.Expr) + "}"
}

// actionText writes one action as a list item: a name, or {name, params}.
func (e *editor) actionText(a Action) string {
	if len(a.Params) == 0 {
		return e.scalarText(a.Name, 0)
	}
	return "{" + e.keyText("name") + ": " + e.scalarText(a.Name, 0) + ", " + e.keyText("params") + ": " + e.flowValue(a.Params) + "}"
}
