package engine_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/enginetest"
)

// seedMachines are the texts of the conformance machines, the examples and the
// test machines of testdata/: the fuzzers start from them (besides the corpus
// committed under testdata/fuzz).
func seedMachines(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	files, err := enginetest.Load("testdata/conformance")
	if err != nil {
		f.Fatal(err)
	}
	for _, cf := range files {
		out = append(out, []byte(cf.Machine))
	}
	for _, pattern := range []string{filepath.Join(examplesDir, "*.yaml"), "testdata/*.yaml"} {
		paths, _ := filepath.Glob(pattern)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, data)
		}
	}
	if len(out) < 10 {
		f.Fatalf("only %d seed machines", len(out))
	}
	return append(out, []byte(orderYAML))
}

// FuzzLoad feeds arbitrary text to Load and Check: they never panic, every
// problem is complete and placed inside the text, both report the same
// problems, and a loaded machine answers an event.
func FuzzLoad(f *testing.F) {
	for _, m := range seedMachines(f) {
		f.Add(m)
		if js, err := yamlToJSON(m); err == nil {
			f.Add(js)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, problems, err := engine.Load(data)
		_, checked := engine.Check(data)
		if !reflect.DeepEqual(problems, checked) {
			t.Fatalf("Load and Check disagree:\n%v\n%v", problems, checked)
		}
		lines := 1 + bytes.Count(data, []byte{'\n'})
		for _, p := range problems {
			if p.Code == "" || p.Message == "" || (p.Severity != engine.SeverityError && p.Severity != engine.SeverityWarning) {
				t.Fatalf("incomplete problem %+v", p)
			}
			if p.Line < 0 || p.Line > lines || p.Column < 0 || (p.Line > 0) != (p.Column > 0) {
				t.Fatalf("problem outside the text (%d lines): %+v", lines, p)
			}
		}
		if (err == nil) != (m != nil) || (err == nil) == problems.HasErrors() {
			t.Fatalf("Load = %v, %v with problems %v", m, err, problems)
		}
		if m == nil {
			return
		}
		for _, trig := range append(m.Triggers(), "_timeout", "unknown") {
			res := m.ProcessWith(m.InitialState(), trig, engine.Context{"x": 1}, engine.ProcessOptions{GuardValues: engine.GuardValues{}})
			if res.Success == (res.Error != nil) {
				t.Fatalf("result %+v", res)
			}
			if _, err := json.Marshal(res); err != nil {
				t.Fatal(err)
			}
		}
		s := m.Create(nil)
		s.AdvanceToNext()
		if _, err := engine.RestoreJSON(m, mustJSON(t, s.Snapshot())); err != nil {
			t.Fatalf("a snapshot of a live session does not restore: %v", err)
		}
	})
}

// FuzzExpression compiles arbitrary text as an inline guard and evaluates it
// against a small context: no panic, and the guard either passes or fails
// with a trace naming it.
func FuzzExpression(f *testing.F) {
	for _, text := range seedMachines(f) {
		def, _ := engine.Check(text)
		if def == nil {
			continue
		}
		for _, g := range def.Guards {
			f.Add(g.Expr)
		}
		for _, tr := range def.Transitions {
			for _, g := range tr.Guards {
				if g.Expr != "" {
					f.Add(g.Expr)
				}
			}
		}
	}
	for _, src := range []string{"0 < x < 10", "x == None", "order.qty >= 10", `order["side"] == 'buy'`, "x in [1, 2]",
		"x not in [1]", "not (a or b) and c", "len(items) + sum(items) - min(items) * max(items) / abs(x) % 3 > 0", "missing",
		// issue 11's attacks on w, a 20 KB string: they end on the budget
		"len(" + strings.TrimSuffix(strings.Repeat("w+", 495), "+") + ") < 0",
		"let a = w + w; let b = a + a; let c = b + b; let d = c + c; let e = d + d; let f = e + e; len(f + f) > 0",
		"sum(1..x*100000) > 0", "len([1..x*100000, 1..x*100000, 1..x*100000]) > 0", "w == nil"} {
		f.Add(src)
	}
	ctx := engine.Context{
		"x": 5, "y": 0, "f": 2.5, "s": "abc", "b": true, "n": nil, "a": false, "c": true,
		"items": []any{1, 2, 3}, "order": map[string]any{"qty": 12, "side": "buy", "tags": []any{"x"}},
		"w": strings.Repeat("w", 20_000),
	}
	f.Fuzz(func(t *testing.T, src string) {
		m, problems, err := guardMachine(src)
		if err != nil {
			errs := problems.Errors()
			if len(errs) == 0 {
				t.Fatalf("refused without an error: %v", problems)
			}
			for _, p := range errs {
				if p.Code != engine.CodeInvalidExpression && p.Code != engine.CodeLimitExceeded && p.Code != engine.CodeInvalidField {
					t.Fatalf("unexpected problem %+v", p)
				}
			}
			return
		}
		res := m.ProcessWith("a", "check", ctx, fuzzOptions)
		if !res.Success && res.Error.Code != engine.ErrCodeGuardRejected {
			t.Fatalf("result %v", res.Err())
		}
		trace := res.GuardTrace()
		if len(trace) != 1 || len(trace[0].Guards) != 1 || trace[0].Guards[0].Guard != src || trace[0].Guards[0].Passed != res.Success {
			t.Fatalf("trace %+v for %v", trace, res.Success)
		}
		again := m.ProcessWith("a", "check", ctx, fuzzOptions)
		if !reflect.DeepEqual(again.GuardTrace(), trace) {
			t.Fatalf("not deterministic: %+v then %+v", trace, again.GuardTrace())
		}
		for _, op := range trace[0].Guards[0].Values {
			if text := fmt.Sprint(op.Value); utf8.RuneCountInString(text) > engine.MaxTraceValueChars+len("…(cut, 20000 chars)") {
				t.Fatalf("the value of %s in the trace is not cut: %d characters", op.Name, utf8.RuneCountInString(text))
			}
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatal(err)
		}
	})
}

// fuzzOptions give FuzzExpression a budget a twentieth of the default, so
// that inputs grown from the attack seeds stay quick to run (and minimize)
// while still ending on the budget.
var fuzzOptions = engine.ProcessOptions{Budget: engine.GuardBudget{EvalOps: 50_000, EvalMemory: 200 << 10, TotalOps: 200_000, TotalMemory: 800 << 10}}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// yamlToJSON writes a machine's definition as JSON: close to the machine
// format (not always a valid machine), so that the JSON reader is seeded too.
func yamlToJSON(text []byte) ([]byte, error) {
	def, problems := engine.Check(text)
	if def == nil || problems.HasErrors() {
		return nil, os.ErrInvalid
	}
	return json.Marshal(def)
}
