package engine_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/enginetest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden diagrams under testdata/golden")

// goldenDir holds the expected Mermaid (.mmd) and DOT (.dot) text of every
// machine that diagramMachines lists. The browser test (e2e) renders the .mmd
// files with the vendored Mermaid.
const goldenDir = "testdata/golden"

// diagramMachine is a machine text with the name of its golden files.
type diagramMachine struct {
	name string // golden file name without extension
	text string
}

// diagramMachines lists every conformance machine that loads, every example,
// and the adversarial machines of testdata/diagram, in a fixed order.
func diagramMachines(t testing.TB) []diagramMachine {
	t.Helper()
	var out []diagramMachine
	files, err := enginetest.Load("testdata/conformance")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		out = append(out, diagramMachine{name: "conformance_" + strings.TrimSuffix(f.Name, ".yaml"), text: f.Machine})
	}
	for _, dir := range []struct{ prefix, glob string }{
		{"example_", filepath.Join(examplesDir, "*.yaml")},
		{"adversarial_", "testdata/diagram/*.yaml"},
	} {
		paths, err := filepath.Glob(dir.glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, diagramMachine{name: dir.prefix + strings.TrimSuffix(filepath.Base(p), ".yaml"), text: string(data)})
		}
	}
	if len(out) < 15 {
		t.Fatalf("only %d diagram machines", len(out))
	}
	return out
}

// goldenVariants are the extra renderings some machines get besides the
// default Mermaid and DOT.
var goldenVariants = map[string][]struct {
	suffix string // before the extension
	dot    bool
	opts   engine.DiagramOptions
}{
	"example_order_management": {
		{suffix: ".bare", opts: engine.DiagramOptions{Direction: "LR"}},
		{suffix: ".active", dot: true, opts: engine.DiagramOptions{Guards: true, Actions: true, Active: "open"}},
	},
	"example_trading_desk": {
		{suffix: ".active", dot: true, opts: engine.DiagramOptions{Guards: true, Active: "session:risk=elevated,trading=analyzing"}},
	},
	"adversarial_escapes": {
		{suffix: ".desc", opts: engine.DiagramOptions{Guards: true, Actions: true, Descriptions: true, Direction: "rl"}},
		{suffix: ".desc", dot: true, opts: engine.DiagramOptions{Guards: true, Actions: true, Descriptions: true, Direction: "rl"}},
	},
}

// TestGolden compares the Mermaid and DOT of every diagram machine with the
// golden files byte for byte; `go test ./engine/ -run Golden -update` rewrites
// them. Every Mermaid output must also pass the grammar check.
func TestGolden(t *testing.T) {
	if *updateGolden {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]bool{}
	for _, dm := range diagramMachines(t) {
		m, problems, err := engine.Load([]byte(dm.text))
		if err != nil {
			if !problems.HasErrors() {
				t.Errorf("%s: %v", dm.name, err)
			}
			continue // an invalid conformance machine has no diagram
		}
		type rendering struct {
			file string
			dot  bool
			opts engine.DiagramOptions
		}
		list := []rendering{
			{file: dm.name + ".mmd", opts: engine.DefaultDiagramOptions()},
			{file: dm.name + ".dot", dot: true, opts: engine.DefaultDiagramOptions()},
		}
		for _, v := range goldenVariants[dm.name] {
			ext := ".mmd"
			if v.dot {
				ext = ".dot"
			}
			list = append(list, rendering{file: dm.name + v.suffix + ext, dot: v.dot, opts: v.opts})
		}
		for _, r := range list {
			want[r.file] = true
			t.Run(r.file, func(t *testing.T) {
				var got string
				if r.dot {
					got = m.DOT(r.opts)
					if err := checkDOT(got); err != nil {
						t.Fatalf("DOT outside the expected form: %v\n%s", err, got)
					}
				} else {
					got = m.Mermaid(r.opts)
					if err := checkMermaid(got, m); err != nil {
						t.Fatalf("Mermaid outside the emitted subset: %v\n%s", err, got)
					}
				}
				path := filepath.Join(goldenDir, r.file)
				if *updateGolden {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				wantText, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run `go test ./engine/ -run Golden -update` to create it)", err)
				}
				if got != string(wantText) {
					t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n%s", r.file, diffLines(string(wantText), got))
				}
			})
		}
	}
	// no stale golden files
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			if *updateGolden {
				_ = os.Remove(filepath.Join(goldenDir, e.Name()))
				continue
			}
			t.Errorf("stale golden file %s (no machine renders it; run with -update)", e.Name())
		}
	}
}

// diffLines shows the first differing line of two texts.
func diffLines(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return "(same lines)"
}

// TestDiagramDeterministic renders each machine twice, from two loads of the
// same text, and compares the bytes.
func TestDiagramDeterministic(t *testing.T) {
	for _, dm := range diagramMachines(t) {
		m1, _, err := engine.Load([]byte(dm.text))
		if err != nil {
			continue
		}
		m2, _, _ := engine.Load([]byte(dm.text))
		opts := engine.DiagramOptions{Guards: true, Actions: true, Descriptions: true, Direction: "LR", Active: m1.InitialState()}
		if a, b := m1.Mermaid(opts), m2.Mermaid(opts); a != b {
			t.Errorf("%s: Mermaid differs between two loads", dm.name)
		}
		if a, b := m1.DOT(opts), m2.DOT(opts); a != b {
			t.Errorf("%s: DOT differs between two loads", dm.name)
		}
	}
}

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

// ---- escaping, ids, labels ----

func TestMermaidEscapes(t *testing.T) {
	tests := []struct {
		name, desc, want string
	}{
		{name: "plain", desc: "Sent to the exchange", want: "Sent to the exchange"},
		{name: "mermaid syntax", desc: "a --> b : c; d", want: "a --#62; b #58; c#59; d"},
		{name: "comment and directive", desc: `%%{init: {"theme":"dark"}}%%`, want: "#37;#37;#123;init#58; #123;#34;theme#34;#58;#34;dark#34;#125;#125;#37;#37;"},
		{name: "markup", desc: "<script>alert(1)</script>", want: "#60;script#62;alert(1)#60;/script#62;"},
		{name: "entity text stays text", desc: "x #59; y &amp;", want: "x #35;59#59; y #38;amp#59;"},
		{name: "newlines", desc: "a\nb\r\nc\td", want: "a b  c d"},
		{name: "direction keyword", desc: "go direction LR", want: "go direction#32;LR"},
		{name: "direction at the end", desc: "Direction\n", want: "Direction#32;"},
		{name: "markdown", desc: "a **b** _c_ d_e `f` ~g~ [h](i) www.x.y", want: "a #42;#42;b#42;#42; #95;c#95; d_e #96;f#96; #126;g#126; [h]#40;i) www#46;x.y"},
		{name: "list start", desc: "- item", want: "#45; item"},
		{name: "number start", desc: "1. item", want: "#49;. item"},
		{name: "unicode", desc: "é💥\u200d", want: "#233;#128165;#8205;"},
		{name: "bidi override", desc: "a\u202eb\u2066c", want: "a b c"},
		{name: "mermaid placeholders", desc: "ﬂ°°60¶ß ﬂ ¶", want: "#64258;#8288;#176;#176;60#182;#8288;#223; #64258; #182;"},
		{name: "invalid utf-8", desc: "a\xffb", want: "a#65533;b"},
		{name: "controls", desc: "a\x00b\u0085c", want: "a b c"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := "meta: {machine_name: m}\nstates:\n  - {name: a, type: initial, description: " + yamlQuote(tc.desc) + "}\ntransitions: []\n"
			m, _, err := engine.Load([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			out := m.Mermaid(engine.DiagramOptions{Descriptions: true})
			got := ""
			for _, line := range strings.Split(out, "\n") {
				if after, ok := strings.CutPrefix(line, "    s_a_ : "); ok {
					got = after
				}
			}
			if got != tc.want {
				t.Errorf("description written as %q, want %q", got, tc.want)
			}
			if err := checkMermaid(out, m); err != nil {
				t.Error(err)
			}
		})
	}
}

// yamlQuote writes s as a YAML double-quoted scalar (JSON escapes are YAML's).
func yamlQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func TestStateNodeID(t *testing.T) {
	tests := []struct{ name, want string }{
		{"open", "s_open_"},
		{"end", "s_end_"},
		{"active_start", "s_active_start_"},
		{"_x", "s__x_"},
	}
	for _, tc := range tests {
		if got := engine.StateNodeID(tc.name); got != tc.want {
			t.Errorf("StateNodeID(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMermaidLabels(t *testing.T) {
	const text = `
meta: {machine_name: labels}
guards: {ok: "x > 1"}
states:
  - {name: a, type: initial, timeout: {seconds: 0.25, destination: b}}
  - {name: b, timeout: {seconds: 5400, destination: c}}
  - {name: c, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, guards: [ok, {expr: "y < 2"}], actions: [log, {name: notify, params: {to: ops}}]}
  - {source: a, dest: c, after: 1500}
  - {trigger: later, source: b, dest: a, after: "2m"}
`
	m, _, err := engine.Load([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts engine.DiagramOptions
		want []string
	}{
		{name: "bare", opts: engine.DiagramOptions{}, want: []string{
			"    s_a_ --> s_b_ : go\n",
			"    s_a_ --> s_c_ : after 1.5s\n",
			"    s_b_ --> s_a_ : later (after 2m)\n",
			"    s_a_ --> s_b_ : after 250ms (timeout)\n",
			"    s_b_ --> s_c_ : after 1h30m (timeout)\n",
		}},
		{name: "guards", opts: engine.DiagramOptions{Guards: true}, want: []string{"    s_a_ --> s_b_ : go [ok, y #60; 2]\n"}},
		{name: "actions", opts: engine.DiagramOptions{Actions: true}, want: []string{"    s_a_ --> s_b_ : go / log, notify\n"}},
		{name: "both", opts: engine.DefaultDiagramOptions(), want: []string{"    s_a_ --> s_b_ : go [ok, y #60; 2] / log, notify\n"}},
		{name: "direction", opts: engine.DiagramOptions{Direction: "lr"}, want: []string{"    direction LR\n"}},
		{name: "unknown direction ignored", opts: engine.DiagramOptions{Direction: "sideways"}, want: []string{"    accTitle: labels\n    [*] --> s_a_\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := m.Mermaid(tc.opts)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			if err := checkMermaid(got, m); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestMermaidWorkarounds checks the forms that replace shapes Mermaid 11 cannot
// draw.
func TestMermaidWorkarounds(t *testing.T) {
	const text = `
meta: {machine_name: shapes}
states:
  - {name: idle, type: initial}
  - {name: p, initial_child: q}
  - {name: q, parent: p, initial_child: q1}
  - {name: q1, parent: q}
  - {name: q2, parent: q}
  - {name: p2, parent: p}
  - {name: out}
transitions:
  - {trigger: in, source: idle, dest: p}
  - {trigger: up, source: q2, dest: p}
  - {trigger: down, source: p, dest: q2}
  - {trigger: again, source: q, dest: q}
  - {trigger: side, source: q, dest: p2}
  - {trigger: deep_up, source: q1, dest: q}
  - {trigger: leave, source: p, dest: out}
  - {trigger: sib, source: q1, dest: q2}
  - {trigger: cross, source: p2, dest: q1}
  - {trigger: back, source: out, dest: q}
  - {trigger: mixed, source: q, dest: p}
`
	m, _, err := engine.Load([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Mermaid(engine.DiagramOptions{})
	for _, w := range []string{
		"    s_idle_ --> s_p_ : in\n",                      // into a composite from outside: as written
		"    s_q2_ --> s_q1_ : up (enters p)\n",            // child to ancestor: to the leaf it enters
		"            [*] --> s_q2_ : down (from p)\n",      // ancestor to child: from the block's start
		"            [*] --> s_q1_ : again (restarts q)\n", // composite to itself
		"        s_q_ --> s_p2_ : side\n",                  // siblings: inside their block
		"            s_q1_ --> s_q1_ : deep_up (enters q)\n",
		"    s_p_ --> s_out_ : leave\n",
		"            s_q1_ --> s_q2_ : sib\n",
		"    s_p2_ --> s_q1_ : cross\n", // different blocks: at the top level
		"    s_out_ --> s_q_ : back\n",
		"            [*] --> s_q1_ : mixed (from q, enters p)\n",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in\n%s", w, got)
		}
	}
	if err := checkMermaid(got, m); err != nil {
		t.Error(err)
	}
}

func TestHighlight(t *testing.T) {
	desk, _, err := engine.LoadFile(filepath.Join(examplesDir, "trading_desk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	approval, _, err := engine.LoadFile(filepath.Join(examplesDir, "document_approval.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		m       *engine.Machine
		state   string
		want    []string
		wantErr bool
	}{
		{name: "flat", m: desk, state: "closed", want: []string{"s_closed_"}},
		{name: "leaf and ancestor", m: approval, state: "editorial_review", want: []string{"s_in_review_", "s_editorial_review_"}},
		{name: "compound itself", m: approval, state: "in_review", want: []string{"s_in_review_"}},
		{name: "configuration", m: desk, state: "session:risk=elevated,trading=analyzing", want: []string{"s_session_", "s_analyzing_", "s_elevated_"}},
		{name: "regions in any order", m: desk, state: "session:trading=scanning,risk=normal", want: []string{"s_session_", "s_scanning_", "s_normal_"}},
		{name: "unknown state", m: desk, state: "nope", wantErr: true},
		{name: "bad configuration", m: desk, state: "session:risk=scanning,trading=analyzing", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.m.Highlight(tc.state)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Highlight(%q) = %v, want %v", tc.state, got, tc.want)
			}
		})
	}
	if _, err := desk.Highlight("nope"); !errors.Is(err, engine.ErrUndefinedState) {
		t.Errorf("unknown state: %v, want ErrUndefinedState", err)
	}
}

func TestDOTActive(t *testing.T) {
	desk, _, err := engine.LoadFile(filepath.Join(examplesDir, "trading_desk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, active string
		fills        int // filled nodes and clusters
		filled       []string
	}{
		{name: "none", active: ""},
		{name: "unknown state fills nothing", active: "nope"},
		{name: "leaf", active: "closed", fills: 1, filled: []string{`"s_closed_" [label="closed", style="rounded,filled"`}},
		{name: "configuration", active: "session:risk=breached,trading=executing", fills: 3, filled: []string{
			`"s_executing_" [label="executing", style="rounded,filled"`,
			`"s_breached_" [label="breached", style="rounded,filled"`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := desk.DOT(engine.DiagramOptions{Active: tc.active})
			if n := strings.Count(got, "fillcolor"); n != tc.fills {
				t.Errorf("%d filled nodes and clusters in\n%s", n, got)
			}
			for _, w := range tc.filled {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
			if err := checkDOT(got); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestStatistics(t *testing.T) {
	m, _, err := engine.LoadFile(filepath.Join(examplesDir, "order_management.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got := m.Statistics()
	want := engine.Statistics{
		MachineName: "order_management", Version: "1.0.0",
		TotalStates:  7,
		StatesByType: map[string]int{"initial": 1, "stable": 2, "terminal": 4, "error": 0, "parallel": 0},
		MaxDepth:     1,
		// five entries, two of them with two sources, and one timeout
		TotalTransitions: 5, Edges: 8, GuardedTransitions: 3, TransitionsWithActions: 5, TimeoutTransitions: 1,
		Triggers:     []string{"cancel_request", "exchange_ack", "exchange_nack", "execution_report"},
		TriggerCount: 4,
		FanOut: map[string]int{"pending_new": 3, "open": 3, "partially_filled": 2,
			"filled": 0, "rejected": 0, "canceled": 0, "timed_out_ack": 0},
		MaxFanOut:          3,
		StatesWithTimeouts: []string{"pending_new"},
		TerminalStates:     []string{"filled", "rejected", "canceled", "timed_out_ack"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Statistics() =\n%+v\nwant\n%+v", got, want)
	}

	desk, _, err := engine.LoadFile(filepath.Join(examplesDir, "trading_desk.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ds := desk.Statistics()
	if ds.StatesByType["parallel"] != 1 || ds.Regions != 2 || ds.MaxDepth != 2 || ds.CompoundStates != 0 || ds.DelayedTransitions != 0 {
		t.Errorf("trading desk statistics %+v", ds)
	}
	raw, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"total_states":9`, `"states_by_type":{`, `"fan_out":{`, `"states_with_timeouts":[]`, `"guarded_transitions":3`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, raw)
		}
	}
}

// ---- fuzzing ----

// FuzzMermaid builds machines from arbitrary free text (machine name and
// description, a state name, state descriptions, guard expressions, a string
// literal in a guard, action parameters, transition and event descriptions;
// enginetest.DiagramMachine puts them into a machine of every shape) and
// checks that whatever loads renders to the Mermaid subset (checkMermaid) and
// well-formed DOT. The committed corpus in testdata/fuzz/FuzzMermaid is also
// rendered in a real browser by the e2e tests.
func FuzzMermaid(f *testing.F) {
	seeds, err := enginetest.ReadDiagramCorpus("testdata/fuzz/FuzzMermaid")
	if err != nil {
		f.Fatal(err)
	}
	if len(seeds) < 5 {
		f.Fatalf("only %d committed seeds", len(seeds))
	}
	f.Add("order_management", "", "active", "", `x != ""`, "", "", "", "", 7)
	f.Fuzz(func(t *testing.T, name, desc, stateName, stateDesc, expr, literal, param, transDesc, eventDesc string, bits int) {
		seed := enginetest.DiagramSeed{Bits: bits, Input: enginetest.DiagramInput{
			MachineName: name, Description: desc, StateName: stateName, StateDesc: stateDesc, GuardExpr: expr,
			Literal: literal, ActionParam: param, TransitionDesc: transDesc, EventDesc: eventDesc,
		}}
		m, _, err := engine.LoadMap(enginetest.DiagramMachine(seed.Input))
		if err != nil {
			return // only what loads has a diagram
		}
		opts := seedOptions(seed)
		src := m.Mermaid(opts)
		if err := checkMermaid(src, m); err != nil {
			t.Fatalf("%v\n%s", err, src)
		}
		if again := m.Mermaid(opts); again != src {
			t.Fatal("Mermaid is not deterministic")
		}
		opts.Active = m.InitialState()
		if err := checkDOT(m.DOT(opts)); err != nil {
			t.Fatalf("%v\n%s", err, m.DOT(opts))
		}
	})
}

// seedOptions turns a seed's bits into diagram options (see
// enginetest.DiagramSeed).
func seedOptions(s enginetest.DiagramSeed) engine.DiagramOptions {
	b := s.Bits
	if b < 0 {
		b = -b
	}
	return engine.DiagramOptions{Guards: b&1 != 0, Actions: b&2 != 0, Descriptions: b&4 != 0,
		Direction: enginetest.DiagramDirections[(b>>3)%len(enginetest.DiagramDirections)]}
}

// TestDiagramSeedsLoad makes sure every committed FuzzMermaid seed is a
// machine that loads (a seed that does not load tests nothing, here or in the
// browser).
func TestDiagramSeedsLoad(t *testing.T) {
	seeds, err := enginetest.ReadDiagramCorpus("testdata/fuzz/FuzzMermaid")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		if _, problems, err := engine.LoadMap(enginetest.DiagramMachine(s.Input)); err != nil {
			t.Errorf("%s does not load: %v", s.Name, problems)
		}
	}
}

// ---- benchmarks ----

// BenchmarkMermaid1000 renders the generated 1,000-state, 3,000-transition
// machine (compound states, guards, actions). SPEC 10: at most 10 ms.
func BenchmarkMermaid1000(b *testing.B) {
	m := mustLoad(b, generatedMachine(1000))
	opts := engine.DefaultDiagramOptions()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(m.Mermaid(opts))
	}
	b.SetBytes(int64(n))
}

func BenchmarkDOT1000(b *testing.B) {
	m := mustLoad(b, generatedMachine(1000))
	opts := engine.DefaultDiagramOptions()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.DOT(opts)
	}
}

// TestMermaidEdges checks the edge map of every diagram machine: one entry
// per edge statement in text order, -1 exactly for the start and end markers
// and timeouts, and otherwise a transition whose trigger (or delay) starts the
// label and whose source and target the statement joins, with every
// transition drawn at least once.
func TestMermaidEdges(t *testing.T) {
	for _, dm := range diagramMachines(t) {
		t.Run(dm.name, func(t *testing.T) {
			m, _, err := engine.Load([]byte(dm.text))
			if err != nil {
				t.Skip("the machine does not load:", err)
			}
			d := m.MermaidDiagram(engine.DefaultDiagramOptions())
			if got, want := d.Text, m.Mermaid(engine.DefaultDiagramOptions()); got != want {
				t.Fatal("MermaidDiagram.Text differs from Mermaid")
			}
			def := m.Definition()
			drawn := make([]bool, len(def.Transitions))
			k := 0
			for _, line := range strings.Split(d.Text, "\n") {
				body := strings.TrimLeft(line, " ")
				if !strings.Contains(body, " --> ") {
					continue
				}
				if k >= len(d.Edges) {
					t.Fatalf("more edge statements than entries (%d)", len(d.Edges))
				}
				got := d.Edges[k]
				k++
				switch mm := mmdEdge.FindStringSubmatch(body); {
				case mm == nil && strings.HasPrefix(body, "[*] --> ") && !strings.Contains(body, " : "),
					mmdTerminal.MatchString(body):
					if got != -1 {
						t.Errorf("%q: edge map %d, want -1 (a marker)", body, got)
					}
				case strings.HasSuffix(body, "(timeout)"):
					if got != -1 {
						t.Errorf("%q: edge map %d, want -1 (a timeout)", body, got)
					}
				default:
					if got < 0 || got >= len(def.Transitions) {
						t.Errorf("%q: edge map %d, want a transition index", body, got)
						continue
					}
					drawn[got] = true
					tr := def.Transitions[got]
					label := unescapeMermaid(body[strings.Index(body, " : ")+3:])
					if !strings.HasPrefix(label, tr.Trigger) && !strings.HasPrefix(label, "after ") {
						t.Errorf("%q: edge map %d is %s", body, got, tr.Trigger)
					}
					if mm != nil && !strings.Contains(label, "(") && mm[2] != engine.StateNodeID(tr.Dest) {
						t.Errorf("%q: edge map %d goes to %s", body, got, tr.Dest)
					}
				}
			}
			if k != len(d.Edges) {
				t.Errorf("%d edge statements, %d entries", k, len(d.Edges))
			}
			for i, ok := range drawn {
				if !ok {
					t.Errorf("transition %d (%s) is on no edge", i, def.Transitions[i].Trigger)
				}
			}
		})
	}
}
