package yamledit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/enginetest"
)

// fuzzText is a machine text the fuzzer edits. tagged texts carry a
// comment `# L<n>` on every line n; plain ones (anchors, JSON, hand-made
// shapes) may be refused as shared or unsupported.
type fuzzText struct {
	name   string
	text   string
	tagged bool
	plain  bool // no anchors or odd shapes: never refused as shared or unsupported
}

// fuzzTexts are the conformance machines with a comment on every line, the
// same machines as JSON, and the golden tests' inputs.
func fuzzTexts(tb testing.TB) []fuzzText {
	tb.Helper()
	files, err := enginetest.Load(filepath.Join("..", "testdata", "conformance"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []fuzzText
	for _, f := range files {
		out = append(out, fuzzText{name: f.Name, text: tagLines(f.Machine), tagged: true, plain: true})
		if js, err := ToJSON(f.Machine); err == nil {
			out = append(out, fuzzText{name: f.Name + ".json", text: string(js), plain: true})
		}
	}
	inputs, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, p := range inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, fuzzText{name: filepath.Base(p), text: string(data)})
	}
	if len(out) < 20 {
		tb.Fatalf("only %d texts to fuzz", len(out))
	}
	return out
}

// tagLines ends every line with a comment naming it.
func tagLines(text string) string {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = fmt.Sprintf("%s  # L%d", l, i+1)
	}
	return strings.Join(lines, "\n") + "\n"
}

// FuzzEdit applies random ops to the conformance machines (a comment on
// every line, LF or CRLF ends, and as JSON) and to the golden inputs, and
// to arbitrary text. Whatever the op: no panic; a refusal returns the text
// unchanged and says why in a typed error; an accepted edit loads, JSON
// stays JSON, CRLF stays CRLF, and on a tagged text every comment is kept in
// order but those on lines of the entries the op removes or rewrites. A
// conformance machine (no anchors) is never refused as shared or
// unsupported.
func FuzzEdit(f *testing.F) {
	texts := fuzzTexts(f)
	for i := range texts {
		for k := uint8(0); k < 8; k++ {
			f.Add(uint8(i), k, uint8(i*7+int(k)), uint8(k*3+1), "", uint8(i%2))
		}
	}
	for i, ft := range texts {
		// the texts themselves, for the fuzzer to mutate
		f.Add(uint8(0), uint8(i), uint8(i), uint8(i*5), ft.text, uint8(2))
	}
	f.Add(uint8(0), uint8(0), uint8(1), uint8(2), "Bad-Name", uint8(0))
	f.Add(uint8(0), uint8(3), uint8(1), uint8(2), "states:\n  - {name: a, type: initial}\ntransitions: []\n", uint8(2))
	f.Fuzz(func(t *testing.T, which, kind, a, b uint8, word string, flags uint8) {
		var ft fuzzText
		if flags&2 != 0 {
			ft = fuzzText{name: "raw", text: word}
			word = ""
		} else {
			ft = texts[int(which)%len(texts)]
		}
		text := ft.text
		if flags&1 != 0 {
			text = strings.ReplaceAll(text, "\n", "\r\n")
		}
		def, _ := engine.Check([]byte(text))
		op := fuzzOp(def, kind, a, b, word)
		got, err := Apply(text, op)
		if err != nil {
			if got != text {
				t.Fatalf("%s: refused (%v) but the text changed", ft.name, err)
			}
			var e *Error
			var ie *InvalidError
			switch {
			case errors.As(err, &e):
				if e.Message == "" || e.Code() == "" {
					t.Fatalf("%s: a refusal without a message or code: %#v", ft.name, e)
				}
				if ft.plain && (errors.Is(err, ErrShared) || errors.Is(err, ErrUnsupported)) {
					t.Fatalf("%s: %+v refused on a plain machine: %v", ft.name, op, err)
				}
			case errors.As(err, &ie):
				if len(ie.Problems.Errors()) == 0 {
					t.Fatalf("%s: refused as invalid without an error: %v", ft.name, err)
				}
			default:
				t.Fatalf("%s: untyped error %v", ft.name, err)
			}
			return
		}
		if _, _, err := engine.Load([]byte(got)); err != nil && got != text {
			t.Fatalf("%s: %+v: the result does not load: %v\n%s", ft.name, op, err, got)
		}
		if looksLikeJSON(text) && json.Valid([]byte(text)) && !json.Valid([]byte(got)) {
			t.Fatalf("%s: %+v: JSON did not stay JSON:\n%s", ft.name, op, got)
		}
		if flags&1 != 0 && strings.Count(got, "\n") != strings.Count(got, "\r\n") {
			t.Fatalf("%s: %+v: a line lost its CRLF end:\n%q", ft.name, op, got)
		}
		if ft.tagged {
			checkTags(t, ft.name, text, got, op, def)
		}
	})
}

// fuzzOp builds an op of a kind from the machine's own names (a and b pick
// them), so that most ops are meaningful; word, when set, is a new name.
func fuzzOp(def *engine.Definition, kind, a, b uint8, word string) Op {
	var states, triggers []string
	ntrans := 0
	if def != nil {
		for _, s := range def.States {
			states = append(states, s.Name)
		}
		for _, tr := range def.Transitions {
			if tr.Trigger != "" {
				triggers = append(triggers, tr.Trigger)
			}
		}
		ntrans = len(def.Transitions)
	}
	pick := func(list []string, i uint8) string {
		if len(list) == 0 {
			return "nothing"
		}
		return list[int(i)%len(list)]
	}
	fresh := word
	if fresh == "" {
		fresh = fmt.Sprintf("n_%d", a)
	}
	types := []string{"", "stable", "terminal", "error", "initial", "parallel"}
	switch kind % 8 {
	case 0:
		parent := ""
		if b%3 == 0 {
			parent = pick(states, b)
		}
		return Op{Kind: AddState, Name: fresh, Type: types[int(b)%len(types)], Parent: parent}
	case 1:
		return Op{Kind: AddTransition, Trigger: pick(append(triggers, fresh), b), Source: pick(states, a), Dest: pick(states, b)}
	case 2:
		to := fresh
		if b%4 == 0 {
			to = pick(states, b)
		}
		return Op{Kind: RenameState, From: pick(states, a), To: to}
	case 3:
		to := fresh
		if b%4 == 0 {
			to = pick(triggers, b)
		}
		return Op{Kind: RenameTrigger, From: pick(triggers, a), To: to}
	case 4:
		return Op{Kind: DeleteState, Name: pick(states, a)}
	case 5:
		return Op{Kind: SetInitial, Name: pick(states, a)}
	case 6:
		parent := pick(states, b)
		if b%4 == 0 {
			parent = ""
		}
		return Op{Kind: SetParent, Name: pick(states, a), Parent: parent}
	}
	i := 0
	if ntrans > 0 {
		i = int(a) % ntrans
	}
	op := Op{Kind: UpdateTransition, Index: &i}
	if b&1 != 0 {
		op.Trigger = pick(append(triggers, fresh), b)
	}
	if b&2 != 0 {
		op.Guards = []Guard{}
		if b&8 != 0 {
			op.Guards = append(op.Guards, Guard{Name: "g_" + pick(states, b)})
		}
		if b&16 != 0 {
			op.Guards = append(op.Guards, Guard{Expr: "x > " + fmt.Sprint(a)})
		}
	}
	if b&4 != 0 || op.Trigger == "" && op.Guards == nil {
		op.Actions = []Action{}
		if b&32 != 0 {
			op.Actions = append(op.Actions, Action{Name: "log"})
		}
		if b&64 != 0 {
			op.Actions = append(op.Actions, Action{Name: "notify", Params: map[string]any{"to": pick(states, a), "n": float64(b)}})
		}
	}
	return op
}

// checkTags verifies the comments of a tagged text: still in order, none
// made up, and all kept but those on lines of entries the op removes or
// rewrites.
func checkTags(t *testing.T, name, before, after string, op Op, def *engine.Definition) {
	t.Helper()
	in, out := tags(before), tags(after)
	if !subsequence(out, in) {
		t.Fatalf("%s: %+v: comments out of order or made up\nbefore %q\nafter  %q\n%s", name, op, in, out, after)
	}
	kept := map[string]bool{}
	for _, x := range out {
		if kept[x] {
			t.Fatalf("%s: %+v: comment %s twice:\n%s", name, op, x, after)
		}
		kept[x] = true
	}
	allowed := touchedLines(before, op, def)
	for _, x := range in {
		var line int
		fmt.Sscanf(x, "# L%d", &line)
		if !kept[x] && !allowed[line] {
			t.Fatalf("%s: %+v: the comment of line %d is lost:\n%s", name, op, line, after)
		}
	}
}

// tags lists the `# L<n>` comments of a text in order.
func tags(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.LastIndex(line, "# L"); i >= 0 {
			out = append(out, strings.TrimRight(line[i:], "\r"))
		}
	}
	return out
}

// touchedLines are the lines of the entries an op may remove or rewrite:
// for delete_state every entry that names the state, for set_parent the
// state and its old parent, for update_transition the transition.
func touchedLines(text string, op Op, def *engine.Definition) map[int]bool {
	out := map[int]bool{}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) != nil || def == nil || len(doc.Content) == 0 {
		return out
	}
	root := doc.Content[0]
	total := strings.Count(text, "\n") + 1
	mark := func(list string, i int) {
		var seq *yaml.Node
		var next int = total + 1
		for k := 0; k+1 < len(root.Content); k += 2 {
			if root.Content[k].Value == list {
				seq = root.Content[k+1]
				if k+2 < len(root.Content) {
					next = root.Content[k+2].Line
				}
			}
		}
		if seq == nil || i >= len(seq.Content) {
			return
		}
		end := next - 1
		if i+1 < len(seq.Content) {
			end = seq.Content[i+1].Line - 1
		}
		for l := seq.Content[i].Line; l <= end; l++ {
			out[l] = true
		}
	}
	names := func(s engine.StateDef) []string {
		list := []string{s.Name, s.Parent, s.InitialChild}
		if s.Timeout != nil {
			list = append(list, s.Timeout.Destination)
		}
		for _, r := range s.Regions {
			list = append(append(list, r.Initial), r.States...)
		}
		return list
	}
	switch op.Kind {
	case DeleteState:
		for i, s := range def.States {
			if contains(names(s), op.Name) {
				mark("states", i)
			}
		}
		for j, tr := range def.Transitions {
			if tr.Dest == op.Name || contains(tr.Source, op.Name) {
				mark("transitions", j)
			}
		}
	case SetParent:
		for i, s := range def.States {
			if s.Name == op.Name || contains(names(s), op.Name) {
				mark("states", i)
			}
		}
	case UpdateTransition:
		mark("transitions", *op.Index)
	}
	return out
}
