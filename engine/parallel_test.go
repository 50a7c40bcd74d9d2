package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
)

// TestParallelManyRegions moves regions of parallel states with more regions
// than the engine keeps on the stack (configurations are sized per call).
func TestParallelManyRegions(t *testing.T) {
	for _, n := range []int{1, 4, 5, 8, 9, 12} {
		t.Run(fmt.Sprintf("%d regions", n), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("meta: {machine_name: wide}\nstates:\n  - {name: idle, type: initial}\n  - name: par\n    type: parallel\n    regions:\n")
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "      - {name: r%02d, initial: a%02d, states: [a%02d, b%02d]}\n", i, i, i, i)
			}
			for i := 0; i < n; i++ {
				fmt.Fprintf(&b, "  - {name: a%02d, parent: par, on_exit: [exit_a%02d]}\n  - {name: b%02d, parent: par, on_enter: [enter_b%02d]}\n", i, i, i, i)
			}
			b.WriteString("transitions:\n  - {trigger: start, source: idle, dest: par}\n")
			for i := 0; i < n; i += 2 { // every other region moves on tick
				fmt.Fprintf(&b, "  - {trigger: tick, source: a%02d, dest: b%02d, actions: [t%02d]}\n", i, i, i)
			}
			m, _, err := engine.Load([]byte(b.String()))
			if err != nil {
				t.Fatal(err)
			}
			start := m.Process("idle", "start", nil)
			if !start.Success {
				t.Fatal(start.Error)
			}
			var parts []string
			var exits, trans, enters []string
			for i := 0; i < n; i++ {
				leaf := fmt.Sprintf("a%02d", i)
				if i%2 == 0 {
					leaf = fmt.Sprintf("b%02d", i)
					exits = append(exits, fmt.Sprintf("exit_a%02d", i))
					trans = append(trans, fmt.Sprintf("t%02d", i))
					enters = append(enters, fmt.Sprintf("enter_b%02d", i))
				}
				parts = append(parts, fmt.Sprintf("r%02d=%s", i, leaf))
			}
			want := "par:" + strings.Join(parts, ",")
			res := m.Process(start.TargetState, "tick", nil)
			if !res.Success || res.TargetState != want {
				t.Fatalf("target %q (%v), want %q", res.TargetState, res.Error, want)
			}
			got := strings.Join(res.AllActions, " ")
			if wantAll := strings.Join(append(append(exits, trans...), enters...), " "); got != wantAll {
				t.Errorf("all_actions %q, want %q", got, wantAll)
			}
			if len(res.RegionResults) != (n+1)/2 {
				t.Errorf("%d region results, want %d", len(res.RegionResults), (n+1)/2)
			}
			// the answer is a configuration the engine reads back
			if again := m.Process(res.TargetState, "tick", nil); again.Success {
				t.Errorf("a second tick moved again: %q", again.TargetState)
			}
		})
	}
}
