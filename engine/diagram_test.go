package engine_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
