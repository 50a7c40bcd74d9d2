package diff_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/diff"
	"github.com/statorhq/stator/engine/enginetest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestChangesGolden diffs pairs of the conformance machines, and each valid
// one against itself (no change), against golden files.
func TestChangesGolden(t *testing.T) {
	files, err := enginetest.Load("../testdata/conformance")
	if err != nil {
		t.Fatal(err)
	}
	var defs []*engine.Definition
	var names []string
	for _, f := range files {
		m, _, err := engine.Load([]byte(f.Machine))
		if err != nil {
			continue // invalid machines have nothing to diff
		}
		defs = append(defs, m.Definition())
		names = append(names, strings.TrimSuffix(f.Name, ".yaml"))
	}
	if len(defs) < 4 {
		t.Fatalf("only %d valid conformance machines", len(defs))
	}
	for i := range defs {
		if got := diff.Changes(defs[i], defs[i]); len(got) != 0 {
			t.Errorf("%s against itself: %v", names[i], got)
		}
	}
	for i := 0; i+1 < len(defs); i++ {
		name := names[i] + "__" + names[i+1]
		t.Run(name, func(t *testing.T) {
			changes := diff.Changes(defs[i], defs[i+1])
			var b strings.Builder
			b.WriteString("summary: " + diff.Summary(changes) + "\n")
			for _, c := range changes {
				b.WriteString(string(c.Kind) + "\t" + c.Name + "\t" + c.Detail + "\n")
			}
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if b.String() != string(want) {
				t.Errorf("got\n%s\nwant\n%s", b.String(), want)
			}
		})
	}
}

// TestChangeKinds: one edit of each kind is reported as that kind.
func TestChangeKinds(t *testing.T) {
	base := `meta: {machine_name: m, version: "1"}
state_variables: [{key: n, type: number}]
guards: {big: "n > 10"}
states:
  - {name: a, type: initial}
  - {name: b}
  - {name: c, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, guards: [big]}
  - {trigger: end, source: b, dest: c}
`
	tests := []struct {
		name, from, to string
		want           diff.Kind
	}{
		{"state added", "  - {name: c, type: terminal}\n", "  - {name: c, type: terminal}\n  - {name: d, type: terminal}\n", diff.StateAdded},
		{"state changed", "  - {name: b}\n", "  - {name: b, on_enter: [log]}\n", diff.StateChanged},
		{"transition added", "  - {trigger: end, source: b, dest: c}\n", "  - {trigger: end, source: b, dest: c}\n  - {trigger: back, source: b, dest: a}\n", diff.TransitionAdded},
		{"transition changed", "dest: c}", "dest: c, actions: [done]}", diff.TransitionChanged},
		{"guard of a transition", "guards: [big]}", "guards: [big, {expr: \"n < 100\"}]}", diff.GuardChanged},
		{"guard definition", `big: "n > 10"`, `big: "n > 20"`, diff.GuardChanged},
		{"meta", `version: "1"`, `version: "2"`, diff.MetaChanged},
		{"variables", "type: number", "type: integer", diff.VariablesChanged},
	}
	from, _, err := engine.Load([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(base, tc.from, tc.to, 1)
			to, _, err := engine.Load([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			got := diff.Changes(from.Definition(), to.Definition())
			if len(got) != 1 || got[0].Kind != tc.want {
				t.Fatalf("changes %+v, want one %s", got, tc.want)
			}
		})
	}
	// a comment or a reordering of flow keys changes nothing
	to, _, _ := engine.Load([]byte("# a comment\n" + strings.Replace(base, "{name: b}", "{ name: b }", 1)))
	if got := diff.Changes(from.Definition(), to.Definition()); len(got) != 0 {
		t.Fatalf("layout only: %+v", got)
	}
}
