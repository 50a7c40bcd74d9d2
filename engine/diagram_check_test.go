package engine_test

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/statorhq/stator/engine"
)

// ---- the Mermaid subset ----

var (
	mmdID       = `s_[a-z0-9_]+_`
	mmdState    = regexp.MustCompile(`^state "(.*)" as (` + mmdID + `|r_[a-z0-9_]+_[0-9]+_)( \{)?$`)
	mmdInitial  = regexp.MustCompile(`^\[\*\] --> (` + mmdID + `)(?: : (.*))?$`)
	mmdTerminal = regexp.MustCompile(`^(` + mmdID + `) --> \[\*\]$`)
	mmdEdge     = regexp.MustCompile(`^(` + mmdID + `) --> (` + mmdID + `) : (.*)$`)
	mmdDesc     = regexp.MustCompile(`^(` + mmdID + `) : (.*)$`)
	mmdAcc      = regexp.MustCompile(`^acc(Title|Descr): (.*)$`)
	mmdDir      = regexp.MustCompile(`^direction (TB|BT|LR|RL)$`)
	mmdEntity   = regexp.MustCompile(`^#([0-9]{1,7});`)
)

// checkMermaid checks that src is in the subset of stateDiagram-v2 that
// Mermaid emits: the header, then lines indented four spaces per open block,
// each one of the statement forms below, blocks balanced, `--` only inside a
// block, every text made only of allowed characters and entity codes, and
// every state of m declared exactly once (unless m is nil).
func checkMermaid(src string, m *engine.Machine) error {
	if !strings.HasSuffix(src, "\n") {
		return errors.New("no final newline")
	}
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	if lines[0] != "stateDiagram-v2" {
		return fmt.Errorf("line 1 is %q, want stateDiagram-v2", lines[0])
	}
	depth := 0
	declared := map[string]int{}
	regions := 0
	prelude := true // accTitle, accDescr and direction come first
	for i, line := range lines[1:] {
		n := i + 2
		body := strings.TrimLeft(line, " ")
		indent := len(line) - len(body)
		if body == "}" {
			depth--
			if depth < 0 {
				return fmt.Errorf("line %d: } closes nothing", n)
			}
		}
		if indent != 4*(depth+1) {
			return fmt.Errorf("line %d: indented %d spaces at depth %d: %q", n, indent, depth, line)
		}
		fail := func(err error) error { return fmt.Errorf("line %d: %v: %q", n, err, line) }
		if mm := mmdAcc.FindStringSubmatch(body); mm != nil || mmdDir.MatchString(body) {
			if !prelude || depth != 0 {
				return fail(errors.New("accTitle, accDescr and direction only at the top, before any state"))
			}
			if mm != nil {
				if err := checkMermaidText(mm[2]); err != nil {
					return fail(err)
				}
			}
			continue
		}
		prelude = false
		switch {
		case body == "}":
		case body == "--":
			if depth == 0 {
				return fail(errors.New("-- outside a block"))
			}
		case mmdState.MatchString(body):
			mm := mmdState.FindStringSubmatch(body)
			if err := checkMermaidText(mm[1]); err != nil {
				return fail(err)
			}
			if strings.HasPrefix(mm[2], "r_") {
				// a region: a composite named after the region
				regions++
				if mm[3] == "" {
					return fail(errors.New("a region without a block"))
				}
				depth++
				continue
			}
			declared[mm[2]]++
			if m != nil && mm[2] != engine.StateNodeID(unescapeMermaid(mm[1])) {
				return fail(fmt.Errorf("label %q does not name id %s", mm[1], mm[2]))
			}
			if mm[3] != "" {
				depth++
			}
		case mmdInitial.MatchString(body):
			if mm := mmdInitial.FindStringSubmatch(body); mm[2] != "" {
				if err := checkMermaidText(mm[2]); err != nil {
					return fail(err)
				}
			}
		case mmdTerminal.MatchString(body):
		case mmdEdge.MatchString(body):
			if err := checkMermaidText(mmdEdge.FindStringSubmatch(body)[3]); err != nil {
				return fail(err)
			}
		case mmdDesc.MatchString(body):
			if err := checkMermaidText(mmdDesc.FindStringSubmatch(body)[2]); err != nil {
				return fail(err)
			}
		default:
			return fail(errors.New("not a statement of the subset"))
		}
	}
	if depth != 0 {
		return fmt.Errorf("%d blocks left open", depth)
	}
	if m == nil {
		return nil
	}
	for _, name := range m.StateNames() {
		if id := engine.StateNodeID(name); declared[id] != 1 {
			return fmt.Errorf("state %s declared %d times", id, declared[id])
		}
	}
	if len(declared) != len(m.StateNames()) {
		return fmt.Errorf("%d states declared, the machine has %d", len(declared), len(m.StateNames()))
	}
	want := 0
	for _, s := range m.Definition().States {
		want += len(s.Regions)
	}
	if regions != want {
		return fmt.Errorf("%d regions drawn, the machine has %d", regions, want)
	}
	return nil
}

// mermaidRawChars may appear in a text as they are.
const mermaidRawChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.()[]/=+-!?'_"

// checkMermaidText checks one text (a label, a state string, a title): only
// the allowed characters and entity codes of printable characters; something
// visible; the first visible character a letter or an entity; `_` only inside
// a word; no "direction" followed by a space, no "www.", no "](".
func checkMermaidText(s string) error {
	if strings.Trim(s, " ") == "" {
		return errors.New("empty text")
	}
	type tok struct {
		raw byte // 0 for an entity
	}
	var toks []tok
	for i := 0; i < len(s); {
		if s[i] == '#' {
			mm := mmdEntity.FindStringSubmatch(s[i:])
			if mm == nil {
				return fmt.Errorf("bad entity at %d in %q", i, s)
			}
			code, _ := strconv.Atoi(mm[1])
			if code < 0x20 || code >= 0x7f && code < 0xa0 || code > utf8.MaxRune || code >= 0xd800 && code <= 0xdfff ||
				code >= 0x202a && code <= 0x202e || code >= 0x2066 && code <= 0x2069 {
				return fmt.Errorf("entity of a control or invalid character #%d; in %q", code, s)
			}
			toks = append(toks, tok{})
			i += len(mm[0])
			continue
		}
		if strings.IndexByte(mermaidRawChars, s[i]) < 0 {
			return fmt.Errorf("character %q at %d in %q", s[i], i, s)
		}
		toks = append(toks, tok{raw: s[i]})
		i++
	}
	isAlnum := func(c byte) bool { return c != 0 && c != ' ' && strings.IndexByte(mermaidRawChars[:62], c) >= 0 }
	first := true
	for i, tk := range toks {
		if first && tk.raw != ' ' {
			first = false
			if tk.raw != 0 && !(tk.raw >= 'a' && tk.raw <= 'z' || tk.raw >= 'A' && tk.raw <= 'Z') {
				return fmt.Errorf("text starts with %q: %q", tk.raw, s)
			}
		}
		if tk.raw == '_' && (i == 0 || i == len(toks)-1 || !isAlnum(toks[i-1].raw) || !isAlnum(toks[i+1].raw)) {
			return fmt.Errorf("_ outside a word in %q", s)
		}
		if tk.raw == '(' && i > 0 && toks[i-1].raw == ']' {
			return fmt.Errorf("]( in %q", s)
		}
		if tk.raw == ' ' || tk.raw == '.' {
			word := "direction"
			if tk.raw == '.' {
				word = "www"
			}
			if i >= len(word) {
				var b strings.Builder
				for _, p := range toks[i-len(word) : i] {
					b.WriteByte(p.raw)
				}
				if strings.EqualFold(b.String(), word) {
					return fmt.Errorf("%q followed by %q in %q", word, tk.raw, s)
				}
			}
		}
	}
	return nil
}

// unescapeMermaid turns entity codes back into characters.
func unescapeMermaid(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if mm := mmdEntity.FindStringSubmatch(s[i:]); s[i] == '#' && mm != nil {
			code, _ := strconv.Atoi(mm[1])
			b.WriteRune(rune(code))
			i += len(mm[0])
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// checkDOT checks the DOT output's shape: quoted strings closed on their line
// with only \" and \\ escapes, braces balanced, every line a statement ending
// in `;`, `{` or `}`.
func checkDOT(src string) error {
	depth := 0
	for n, line := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
		var outside strings.Builder
		for i := 0; i < len(line); i++ {
			if line[i] != '"' {
				outside.WriteByte(line[i])
				continue
			}
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				if line[i] == '\\' {
					i++
					if i >= len(line) || line[i] != '"' && line[i] != '\\' && line[i] != 'n' {
						return fmt.Errorf("line %d: bad escape in %q", n+1, line)
					}
				}
			}
			if i >= len(line) {
				return fmt.Errorf("line %d: unterminated string in %q", n+1, line)
			}
			outside.WriteString(`""`)
		}
		o := strings.TrimSpace(outside.String())
		depth += strings.Count(o, "{") - strings.Count(o, "}")
		if depth < 0 {
			return fmt.Errorf("line %d: unbalanced }", n+1)
		}
		if !strings.HasSuffix(o, ";") && !strings.HasSuffix(o, "{") && o != "}" {
			return fmt.Errorf("line %d: not a statement: %q", n+1, line)
		}
	}
	if depth != 0 {
		return fmt.Errorf("%d braces left open", depth)
	}
	return nil
}

func TestCheckMermaidRejects(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{name: "comment", src: "stateDiagram-v2\n    %% hi\n"},
		{name: "raw colon in label", src: "stateDiagram-v2\n    s_a_ --> s_b_ : a:b\n"},
		{name: "semicolon", src: "stateDiagram-v2\n    s_a_ --> s_b_ : a;b\n"},
		{name: "unbalanced", src: "stateDiagram-v2\n    state \"a\" as s_a_ {\n"},
		{name: "close without open", src: "stateDiagram-v2\n}\n"},
		{name: "direction in label", src: "stateDiagram-v2\n    s_a_ --> s_b_ : go direction LR\n"},
		{name: "keyword id", src: "stateDiagram-v2\n    end --> s_b_ : go\n"},
		{name: "markdown emphasis", src: "stateDiagram-v2\n    s_a_ --> s_b_ : _go_\n"},
		{name: "markdown link", src: "stateDiagram-v2\n    s_a_ --> s_b_ : a [x](y)\n"},
		{name: "list start", src: "stateDiagram-v2\n    s_a_ : - item\n"},
		{name: "divider at top", src: "stateDiagram-v2\n    --\n"},
		{name: "entity of NUL", src: "stateDiagram-v2\n    s_a_ : a#0;\n"},
		{name: "bad indent", src: "stateDiagram-v2\n  s_a_ : a\n"},
		{name: "quote in state string", src: "stateDiagram-v2\n    state \"a\"b\" as s_a_\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkMermaid(tc.src, nil); err == nil {
				t.Errorf("accepted %q", tc.src)
			}
		})
	}
}
