package yamledit

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// source is the text being edited with an index of its lines, so that the
// 1-based line and column (in characters) of a yaml.v3 node become byte
// offsets. Spans are computed from the text as written: yaml.v3 gives where
// a node starts, not where it ends.
type source struct {
	s     string
	lines []int  // byte offset where each line starts
	ends  []int  // byte offset where each line's content ends (before its break)
	eol   string // "\r\n" when the text uses CRLF line ends, else "\n"
	json  bool   // the text is JSON: everything written stays JSON
}

// newSource indexes the lines as yaml.v3 counts them: a line ends at \n,
// \r\n, a lone \r, or U+0085, U+2028, U+2029; columns of the first line
// start after a byte order mark.
func newSource(s string) *source {
	src := &source{s: s, eol: "\n"}
	start := 0
	if strings.HasPrefix(s, "\ufeff") {
		start = len("\ufeff")
	}
	src.lines = append(src.lines, start)
	for i := start; i < len(s); {
		n := 0
		switch {
		case s[i] == '\n':
			n = 1
		case s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n':
			n = 2
		case s[i] == '\r':
			n = 1
		case strings.HasPrefix(s[i:], "\u0085"):
			n = len("\u0085")
		case strings.HasPrefix(s[i:], "\u2028"), strings.HasPrefix(s[i:], "\u2029"):
			n = len("\u2028")
		default:
			i++
			continue
		}
		src.ends = append(src.ends, i)
		i += n
		src.lines = append(src.lines, i)
	}
	src.ends = append(src.ends, len(s))
	if strings.Contains(s, "\r\n") {
		src.eol = "\r\n"
	}
	src.json = looksLikeJSON(s)
	return src
}

// looksLikeJSON is the engine's test: a JSON object starts with a quoted key.
func looksLikeJSON(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n\ufeff")
	if strings.HasPrefix(t, "{") {
		k := strings.TrimLeft(t[1:], " \t\r\n")
		return k == "" || k[0] == '"' || k[0] == '}'
	}
	return strings.HasPrefix(t, "[")
}

// errLocate is returned (wrapped in ErrUnsupported) when a span cannot be
// worked out from the text.
type locateError struct {
	line int
	what string
}

func (e *locateError) Error() string {
	return fmt.Sprintf("cannot find where %s at line %d ends in the text", e.what, e.line)
}

// off is the byte offset of a 1-based line and column (in characters).
func (t *source) off(line, col int) int {
	if line < 1 {
		return 0
	}
	if line > len(t.lines) {
		return len(t.s)
	}
	o := t.lines[line-1]
	for c := 1; c < col && o < len(t.s); c++ {
		if t.s[o] < utf8.RuneSelf {
			o++
			continue
		}
		_, size := utf8.DecodeRuneInString(t.s[o:])
		o += size
	}
	return o
}

// pos is where a node starts as written (its anchor or tag included).
func (t *source) pos(n *yaml.Node) int { return t.off(n.Line, n.Column) }

// line is the 0-based index of the line holding offset o.
func (t *source) line(o int) int {
	return max(0, sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > o })-1)
}

func (t *source) lineStart(o int) int { return t.lines[t.line(o)] }

// nextLine is the start of the line after the one holding o (len when none).
func (t *source) nextLine(o int) int {
	l := t.line(o)
	if l+1 < len(t.lines) {
		return t.lines[l+1]
	}
	return len(t.s)
}

// lineEnd is where the content of o's line ends (before its line break).
func (t *source) lineEnd(o int) int { return t.ends[t.line(o)] }

// column is the 1-based column (in characters) of offset o.
func (t *source) column(o int) int {
	return 1 + utf8.RuneCountInString(t.s[t.lineStart(o):o])
}

// firstOnLine reports whether only spaces precede o on its line.
func (t *source) firstOnLine(o int) bool {
	return strings.TrimLeft(t.s[t.lineStart(o):o], " \t") == ""
}

// indentOf is the indentation (in spaces) of the line holding o.
func (t *source) indentOf(o int) int {
	ls := t.lineStart(o)
	i := ls
	for i < len(t.s) && t.s[i] == ' ' {
		i++
	}
	return i - ls
}

// restIsTrailing reports whether, after o on its line, there are only
// spaces, at most one comma, and a comment: the rest of an item's line.
func (t *source) restIsTrailing(o int) bool {
	end := t.lineEnd(o)
	rest := strings.TrimLeft(t.s[o:end], " \t")
	rest = strings.TrimPrefix(rest, ",")
	rest = strings.TrimLeft(rest, " \t")
	return rest == "" || rest[0] == '#'
}

// skipSpace skips spaces, line breaks and comments in flow context (and
// commas when commas is set) from o.
func (t *source) skipSpace(o int, commas bool) int {
	for o < len(t.s) {
		c := t.s[o]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			o++
		case c == ',' && commas:
			o++
		case c == '#' && (o == 0 || isSpace(t.s[o-1])):
			o = t.lineEnd(o)
		default:
			return o
		}
	}
	return o
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// hasComment reports whether [a, b) holds a comment.
func (t *source) hasComment(a, b int) bool {
	for o := a; o < b; o++ {
		if t.s[o] == '#' && (o == 0 || isSpace(t.s[o-1])) {
			return true
		}
	}
	return false
}

// valueStart is where a node's value starts, after its anchor and tag.
func (t *source) valueStart(n *yaml.Node) int {
	o := t.pos(n)
	for o < len(t.s) && (t.s[o] == '&' || t.s[o] == '!') {
		for o < len(t.s) && !isSpace(t.s[o]) {
			o++
		}
		o = t.skipSpace(o, false)
	}
	return o
}

// end is the offset just after a node as written. minIndent is the
// indentation its block scalars must exceed (the enclosing block's); -1 at
// the top. The error is a *locateError.
func (t *source) end(n *yaml.Node, minIndent int) (int, error) {
	switch n.Kind {
	case yaml.AliasNode:
		o := t.pos(n)
		if o >= len(t.s) || t.s[o] != '*' {
			return 0, &locateError{n.Line, "an alias"}
		}
		return o + 1 + len(n.Value), nil
	case yaml.ScalarNode:
		return t.scalarEnd(n, minIndent)
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 {
			return t.flowEnd(n)
		}
		if len(n.Content) == 0 {
			return 0, &locateError{n.Line, "an empty block"}
		}
		last := n.Content[len(n.Content)-1]
		inner := n.Column - 1 // items of a block sequence: the dash's indentation
		if n.Kind == yaml.MappingNode {
			key := n.Content[len(n.Content)-2]
			inner = key.Column - 1
			ke, err := t.end(key, inner)
			if err != nil {
				return 0, err
			}
			ve, err := t.end(last, inner)
			return max(ke+1, ve), err // +1: the key's colon
		}
		return t.end(last, inner)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return 0, nil
		}
		return t.end(n.Content[0], -1)
	}
	return 0, &locateError{n.Line, "a node"}
}

// flowEnd is just after the closing bracket of a flow collection.
func (t *source) flowEnd(n *yaml.Node) (int, error) {
	o := t.valueStart(n)
	if o >= len(t.s) || (t.s[o] != '[' && t.s[o] != '{') {
		return 0, &locateError{n.Line, "a flow collection"}
	}
	o++
	for _, c := range n.Content {
		e, err := t.end(c, -1)
		if err != nil {
			return 0, err
		}
		o = max(o, e)
	}
	o = t.skipSpace(o, true)
	if o >= len(t.s) || (t.s[o] != ']' && t.s[o] != '}') {
		return 0, &locateError{n.Line, "a flow collection"}
	}
	return o + 1, nil
}

func (t *source) scalarEnd(n *yaml.Node, minIndent int) (int, error) {
	o := t.valueStart(n)
	s := t.s
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := o + 1; i < len(s) && s[o] == '"'; i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return i + 1, nil
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := o + 1; i < len(s) && s[o] == '\''; i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, nil
			}
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return t.blockScalarEnd(o, minIndent), nil
	default:
		if n.Tag == "!!null" && n.Value == "" {
			return o, nil // an empty value: nothing is written
		}
		if e, ok := t.plainEnd(o, n.Value); ok {
			return e, nil
		}
	}
	return 0, &locateError{n.Line, "the value"}
}

// plainEnd matches a plain scalar's value against the text from o, where a
// line break may have been folded into a space.
func (t *source) plainEnd(o int, v string) (int, bool) {
	s := t.s
	i, k := o, 0
	for k < len(v) {
		c := v[k]
		if c == ' ' || c == '\n' || c == '\t' {
			for k < len(v) && (v[k] == ' ' || v[k] == '\n' || v[k] == '\t') {
				k++
			}
			j := i
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j == i {
				return 0, false
			}
			i = j
			continue
		}
		if i >= len(s) || s[i] != c {
			return 0, false
		}
		i++
		k++
	}
	return i, true
}

// blockScalarEnd is the end of the last content line of a literal (|) or
// folded (>) scalar whose header starts at o.
func (t *source) blockScalarEnd(o, minIndent int) int {
	s := t.s
	h := o + 1
	explicit := 0
	for h < len(s) && strings.IndexByte("0123456789+-", s[h]) >= 0 {
		if s[h] >= '1' && s[h] <= '9' {
			explicit = int(s[h] - '0')
		}
		h++
	}
	last := h
	content := -1
	if explicit > 0 {
		content = max(minIndent, 0) + explicit
	}
	for ls := t.nextLine(o); ls < len(s); ls = t.nextLine(ls) {
		le := t.lineEnd(ls)
		line := s[ls:le]
		trimmed := strings.TrimLeft(line, " ")
		if strings.TrimSpace(line) == "" {
			continue
		}
		ind := len(line) - len(trimmed)
		if content < 0 {
			if ind <= minIndent {
				break
			}
			content = ind
		}
		if ind < content {
			break
		}
		last = le
	}
	return last
}

// patch replaces [start, end) of the text by text.
type patch struct {
	start, end int
	text       string
}

// applyPatches applies non-overlapping patches. At one offset, insertions
// come before a replacement, in the order given.
func applyPatches(s string, ps []patch) (string, error) {
	sorted := make([]patch, len(ps))
	copy(sorted, ps)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.start != b.start {
			return a.start < b.start
		}
		return a.end == a.start && b.end != b.start
	})
	var b strings.Builder
	b.Grow(len(s) + 256)
	at := 0
	for _, p := range sorted {
		if p.start < at || p.end < p.start || p.end > len(s) {
			return "", fmt.Errorf("edits overlap at byte %d", p.start)
		}
		b.WriteString(s[at:p.start])
		b.WriteString(p.text)
		at = p.end
	}
	b.WriteString(s[at:])
	return b.String(), nil
}
