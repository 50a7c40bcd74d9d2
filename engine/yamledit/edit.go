package yamledit

import (
	"errors"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// editor collects the patches of one edit. Its first failure sticks (err):
// later steps do nothing, and Apply reports it.
type editor struct {
	src     *source
	op      Kind
	patches []patch
	err     error
	edited  map[*yaml.Node]bool // scalars already replaced
}

func (e *editor) fail(err error) {
	if e.err != nil {
		return
	}
	var le *locateError
	if errors.As(err, &le) {
		err = refuse(ErrUnsupported, e.op, "", "%s; make this edit in the text", le.Error())
	}
	e.err = err
}

func (e *editor) add(start, end int, text string) {
	if e.err == nil {
		e.patches = append(e.patches, patch{start, end, text})
	}
}

// end is t.end with the failure recorded.
func (e *editor) end(n *yaml.Node, minIndent int) int {
	o, err := e.src.end(n, minIndent)
	if err != nil {
		e.fail(err)
	}
	return o
}

// ---- nodes ----

// deref follows aliases to the node they name (nil for a chain past 100).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	return n
}

// pair is one effective entry of a mapping, read as the engine reads it:
// aliases followed, `<<` merge keys applied, explicit keys over merged ones.
type pair struct {
	key  string
	k, v *yaml.Node // dereferenced
}

func pairs(m *yaml.Node) []pair {
	return collectPairs(m, false, nil, 0)
}

func collectPairs(m *yaml.Node, merged bool, out []pair, depth int) []pair {
	if m == nil || m.Kind != yaml.MappingNode || depth > 100 {
		return out
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), deref(m.Content[i+1])
		if k == nil || v == nil || k.Kind != yaml.ScalarNode {
			continue
		}
		if k.Tag == "!!merge" || k.Value == "<<" {
			switch v.Kind {
			case yaml.MappingNode:
				out = collectPairs(v, true, out, depth+1)
			case yaml.SequenceNode:
				for _, s := range v.Content {
					out = collectPairs(deref(s), true, out, depth+1)
				}
			}
			continue
		}
		p := pair{key: k.Value, k: k, v: v}
		j := -1
		for x := range out {
			if out[x].key == k.Value {
				j = x
				break
			}
		}
		switch {
		case j < 0:
			out = append(out, p)
		case !merged:
			out[j] = p
		}
	}
	return out
}

// lookup is the effective entry for key.
func lookup(m *yaml.Node, key string) (pair, bool) {
	for _, p := range pairs(m) {
		if p.key == key {
			return p, true
		}
	}
	return pair{}, false
}

// explicitIndex is the index in m.Content of key's last explicit key node
// (the one that wins), or -1.
func explicitIndex(m *yaml.Node, key string) int {
	at := -1
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := deref(m.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key && k.Tag != "!!merge" {
			at = i
		}
	}
	return at
}

// nameOf reads a scalar as a name, as the engine does ("" for null or a
// collection).
func nameOf(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// ---- spans ----

// span is where one item of a collection is written: a sequence item, or a
// key with its value.
type span struct{ start, end int }

// itemSpans are the spans of a sequence's items as written.
func (e *editor) itemSpans(seq *yaml.Node) []span {
	out := make([]span, len(seq.Content))
	inner := -1
	if seq.Style&yaml.FlowStyle == 0 {
		inner = seq.Column - 1
	}
	for i, c := range seq.Content {
		out[i] = span{e.src.pos(c), e.end(c, inner)}
	}
	return out
}

// pairSpans are the spans of a mapping's entries as written (key to value).
func (e *editor) pairSpans(m *yaml.Node) []span {
	out := make([]span, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		ke := e.end(k, k.Column-1)
		ve := e.end(m.Content[i+1], k.Column-1)
		out = append(out, span{e.src.pos(k), max(ke+1, ve)})
	}
	return out
}

// dash is the offset of the `-` of a block sequence's item.
func (e *editor) dash(seq, item *yaml.Node) int {
	s := e.src.s
	p := e.src.pos(item) - 1
	for p >= 0 && isSpace(s[p]) {
		p--
	}
	if p < 0 || s[p] != '-' || e.src.column(p) != seq.Column {
		e.fail(&locateError{item.Line, "a list item"})
		return 0
	}
	return p
}

// colonAfter is the offset just after the colon that follows a key.
func (e *editor) colonAfter(key *yaml.Node) int {
	o := e.end(key, key.Column-1)
	for o < len(e.src.s) && (e.src.s[o] == ' ' || e.src.s[o] == '\t') {
		o++
	}
	if o >= len(e.src.s) || e.src.s[o] != ':' {
		e.fail(&locateError{key.Line, "a key"})
		return o
	}
	return o + 1
}

// ---- scalars ----

// scalarText writes a name (or any short string) the way the scalar it
// replaces or sits beside is written: JSON stays JSON, quotes stay quotes.
func (e *editor) scalarText(v string, style yaml.Style) string {
	switch {
	case e.src.json || style&yaml.DoubleQuotedStyle != 0:
		return Quote(v)
	case style&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case plainSafe(v):
		return v
	}
	return Quote(v)
}

// plainSafe reports whether v reads back as the same string when written
// plain: a valid name other than null (which YAML reads as nothing) and
// the words YAML 1.1 readers (pystator's) take for booleans.
func plainSafe(v string) bool {
	switch v {
	case "null", "true", "false", "y", "n", "yes", "no", "on", "off":
		return false
	}
	return validName(v)
}

// replaceScalar rewrites a scalar's value (its anchor and tag stay).
func (e *editor) replaceScalar(n *yaml.Node, v string) {
	if e.edited[n] {
		return
	}
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		e.fail(refuse(ErrUnsupported, e.op, "", "the value at line %d is written as a block scalar (| or >); write it on one line first", n.Line))
		return
	}
	if e.edited == nil {
		e.edited = map[*yaml.Node]bool{}
	}
	e.edited[n] = true
	start := e.src.valueStart(n)
	e.add(start, e.end(n, -1), e.scalarText(v, n.Style))
}

// replaceValue replaces a whole value (scalar or collection) by text.
func (e *editor) replaceValue(n *yaml.Node, minIndent int, text string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" {
		// `key:` with nothing after it: write after the colon
		e.add(e.src.valueStart(n), e.src.valueStart(n), " "+text)
		return
	}
	e.add(e.src.valueStart(n), e.end(n, minIndent), text)
}

// ---- deleting items ----

// deleteItems removes the items at the given indexes of a sequence. key is
// the mapping key the sequence is the value of: a block sequence that loses
// every item becomes `key: []` (with a nil key the caller writes new items).
func (e *editor) deleteItems(seq, key *yaml.Node, idx []int) {
	if len(idx) == 0 || e.err != nil {
		return
	}
	del := make([]bool, len(seq.Content))
	for _, i := range idx {
		del[i] = true
	}
	if seq.Style&yaml.FlowStyle != 0 {
		e.deleteFlow(e.itemSpans(seq), del)
		return
	}
	spans := e.itemSpans(seq)
	all := true
	for i := 0; i < len(del); {
		if !del[i] {
			all = false
			i++
			continue
		}
		j := i
		for j+1 < len(del) && del[j+1] {
			j++
		}
		start := e.src.lineStart(e.dash(seq, seq.Content[i]))
		e.add(start, e.src.nextLine(spans[j].end-1), "")
		i = j + 1
	}
	if all && key != nil {
		at := e.colonAfter(key)
		e.add(at, at, " []")
	}
}

// deleteKeys removes explicit keys (with their values) from a mapping;
// a key that is not written in it is left alone.
func (e *editor) deleteKeys(m *yaml.Node, keys []string) {
	if e.err != nil {
		return
	}
	n := len(m.Content) / 2
	del := make([]bool, n)
	count := 0
	for _, k := range keys {
		if i := explicitIndex(m, k); i >= 0 && !del[i/2] {
			del[i/2] = true
			count++
		}
	}
	if count == 0 {
		return
	}
	if count == n {
		e.fail(refuse(ErrUnsupported, e.op, "", "removing %s would leave the mapping at line %d empty; edit it in the text", strings.Join(keys, " and "), m.Line))
		return
	}
	spans := e.pairSpans(m)
	if m.Style&yaml.FlowStyle != 0 {
		e.deleteFlow(spans, del)
		return
	}
	for i := 0; i < n; {
		if !del[i] {
			i++
			continue
		}
		j := i
		for j+1 < n && del[j+1] {
			j++
		}
		switch {
		case e.src.firstOnLine(spans[i].start):
			e.add(e.src.lineStart(spans[i].start), e.src.nextLine(spans[j].end-1), "")
		case j+1 < n:
			// the first key of a list item (`- key: v`): the next key moves up
			e.add(spans[i].start, spans[j+1].start, "")
		default:
			e.fail(&locateError{m.Content[2*i].Line, "a key"})
			return
		}
		i = j + 1
	}
}

// deleteFlow removes the marked items of a flow collection. An item alone
// on its line(s) goes with its lines (its comment too); items sharing a
// line go with one neighbouring comma.
func (e *editor) deleteFlow(spans []span, del []bool) {
	if e.err != nil {
		return
	}
	s := e.src
	commaAfter := func(o int) (int, bool) {
		for o < len(s.s) && (s.s[o] == ' ' || s.s[o] == '\t') {
			o++
		}
		return o, o < len(s.s) && s.s[o] == ','
	}
	for i := 0; i < len(del); {
		if !del[i] {
			i++
			continue
		}
		j := i
		for j+1 < len(del) && del[j+1] {
			j++
		}
		before, after := i > 0, j+1 < len(del)
		a, b := spans[i].start, spans[j].end
		switch {
		case s.firstOnLine(a) && s.restIsTrailing(b):
			e.add(s.lineStart(a), s.nextLine(b), "")
			if _, comma := commaAfter(b); !after && before && !comma {
				// the new last item loses its comma (JSON allows no trailing one)
				if c, ok := commaAfter(spans[i-1].end); ok {
					e.add(c, c+1, "")
				}
			}
		case after && !s.hasComment(a, spans[j+1].start):
			e.add(a, spans[j+1].start, "")
		case before && !s.hasComment(spans[i-1].end, b):
			e.add(spans[i-1].end, b, "")
		case !before && !after && !s.hasComment(a, b):
			if c, ok := commaAfter(b); ok {
				b = c + 1
			}
			e.add(a, b, "")
		default:
			e.fail(refuse(ErrUnsupported, e.op, "", "the list at line %d has comments between items on the same line; make this edit in the text", s.line(a)+1))
			return
		}
		i = j + 1
	}
}

// ---- inserting ----

// insertFlow inserts an item into a flow collection whose opening bracket
// is at open: before item k, or after the last item when k is len(spans).
// An item that sits alone on its line gets a line of its own beside it.
func (e *editor) insertFlow(spans []span, open, k int, item string) {
	s := e.src
	indent := func(o int) string { return strings.Repeat(" ", s.column(o)-1) }
	switch {
	case len(spans) == 0:
		e.add(open+1, open+1, item)
	case k < len(spans):
		at := spans[k].start
		if s.firstOnLine(at) {
			e.add(at, at, item+","+s.eol+indent(at))
		} else {
			e.add(at, at, item+", ")
		}
	default:
		last := spans[len(spans)-1]
		if !s.firstOnLine(last.start) || !s.restIsTrailing(last.end) {
			e.add(last.end, last.end, ", "+item)
			return
		}
		c := last.end
		for c < len(s.s) && (s.s[c] == ' ' || s.s[c] == '\t') {
			c++
		}
		next := s.nextLine(last.end)
		if c < len(s.s) && s.s[c] == ',' {
			e.add(next, next, indent(last.start)+item+","+s.eol)
			return
		}
		e.add(last.end, last.end, ",")
		e.add(next, next, indent(last.start)+item+s.eol)
	}
}

// insertLines inserts whole lines before offset at (a line start); at the
// end of a text without a final line break, one is added first.
func (e *editor) insertLines(at int, lines []string) {
	text := strings.Join(lines, e.src.eol) + e.src.eol
	if at == len(e.src.s) && at > 0 && e.src.s[at-1] != '\n' {
		text = e.src.eol + strings.TrimSuffix(text, e.src.eol)
	}
	e.add(at, at, text)
}

// order is a canonical key order: a new key goes after the nearest key
// before it in this order that the mapping has.
type order []string

// insertKey adds `key: value` to a mapping. lines is the value as lines
// (lines[0] follows "key:"; later lines are block lines, indented relative
// to the key). A flow mapping gets a flow pair.
func (e *editor) insertKey(m *yaml.Node, key string, lines []string, keys order) {
	if e.err != nil {
		return
	}
	spans := e.pairSpans(m)
	pos := insertPosition(m, key, keys)
	kt := key
	if e.src.json {
		kt = Quote(key)
	}
	if m.Style&yaml.FlowStyle != 0 {
		e.insertFlow(spans, e.src.valueStart(m), pos, kt+": "+lines[0])
		return
	}
	if len(spans) == 0 {
		e.fail(&locateError{m.Line, "a mapping"})
		return
	}
	first := kt + ":"
	if lines[0] != "" {
		first += " " + lines[0]
	}
	if pos == 0 {
		// before the first key: the new pair takes its place, the key moves down
		ind := strings.Repeat(" ", m.Content[0].Column-1)
		at := spans[0].start
		e.add(at, at, strings.Join(indentLines(first, lines[1:], ind), e.src.eol)+e.src.eol+ind)
		return
	}
	// after the previous pair's last line, so that comment lines above the
	// next key stay with it
	ind := strings.Repeat(" ", m.Content[2*(pos-1)].Column-1)
	out := indentLines(first, lines[1:], ind)
	out[0] = ind + out[0]
	e.insertLines(e.src.nextLine(spans[pos-1].end-1), out)
}

// indentLines is first followed by rest, each prefixed with ind.
func indentLines(first string, rest []string, ind string) []string {
	out := []string{first}
	for _, l := range rest {
		out = append(out, ind+l)
	}
	return out
}

// insertPosition is the index of the pair a new key goes before (len when
// it goes last): after the nearest key preceding it in keys, else before the
// nearest following one, else last.
func insertPosition(m *yaml.Node, key string, keys order) int {
	n := len(m.Content) / 2
	at := -1
	for i := 0; i < len(keys) && keys[i] != key; i++ {
		if x := explicitIndex(m, keys[i]); x >= 0 {
			at = max(at, x/2)
		}
	}
	if at >= 0 {
		return at + 1
	}
	follow := n
	seen := false
	for _, k := range keys {
		if k == key {
			seen = true
			continue
		}
		if x := explicitIndex(m, k); seen && x >= 0 {
			follow = min(follow, x/2)
		}
	}
	return follow
}

// setName sets key to a name in a mapping: an explicit value is rewritten;
// otherwise the key is added (over a merged value, never beside an
// explicit one). hint is a scalar whose quoting a new value copies.
func (e *editor) setName(m *yaml.Node, key, name string, keys order, hint yaml.Style) {
	if i := explicitIndex(m, key); i >= 0 {
		v := deref(m.Content[i+1])
		if v != nil && v.Kind == yaml.ScalarNode {
			if nameOf(v) != name || v.Tag == "!!null" {
				if v.Tag == "!!null" && v.Value == "" {
					e.replaceValue(v, -1, e.scalarText(name, hint))
					return
				}
				e.replaceScalar(v, name)
			}
			return
		}
		e.replaceValue(v, m.Content[i].Column-1, e.scalarText(name, hint))
		return
	}
	e.insertKey(m, key, []string{e.scalarText(name, hint)}, keys)
}

// nameStyle is the quoting of the first scalar among keys in m, to copy.
func nameStyle(m *yaml.Node, keys ...string) yaml.Style {
	for _, k := range keys {
		if p, ok := lookup(m, k); ok && p.v.Kind == yaml.ScalarNode {
			return p.v.Style & (yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle)
		}
	}
	return 0
}

// sortedUnique sorts and dedupes indexes.
func sortedUnique(idx []int) []int {
	sort.Ints(idx)
	out := idx[:0]
	for i, x := range idx {
		if i == 0 || x != idx[i-1] {
			out = append(out, x)
		}
	}
	return out
}
