package pages

import (
	"fmt"
	"strings"
	"testing"
)

// machine200 is a 200-state machine in the editor's usual shape: compound
// states of ten, three transitions per state, guards and actions.
func machine200() string {
	var b strings.Builder
	b.WriteString("meta: {machine_name: big, version: \"1\"}\nstate_variables:\n  - {key: x, type: number, default: 0}\nstates:\n  - {name: s0, type: initial}\n")
	for i := 1; i < 200; i++ {
		switch {
		case i%10 == 1:
			fmt.Fprintf(&b, "  - {name: s%d, initial_child: s%d, on_enter: [enter_%d]}\n", i, i+1, i)
		case (i-1)%10 != 0:
			fmt.Fprintf(&b, "  - {name: s%d, parent: s%d}\n", i, i-(i-1)%10)
		}
	}
	b.WriteString("transitions:\n")
	for i := 0; i < 200; i++ {
		if i%10 == 1 {
			continue
		}
		fmt.Fprintf(&b, "  - {trigger: next, source: s%d, dest: s%d, actions: [log]}\n", i, (i+1)%200)
		fmt.Fprintf(&b, "  - {trigger: jump, source: s%d, dest: s%d, guards: [{expr: \"x > %d\"}]}\n", i, (i*7+3)%200, i%50)
		fmt.Fprintf(&b, "  - {trigger: back, source: s%d, dest: s0}\n", i)
	}
	return b.String()
}

// BenchmarkAnalyze200 is the editor's round trip on the server: validate,
// compile and draw a 200-state machine (SPEC 10: at most 20 ms).
func BenchmarkAnalyze200(b *testing.B) {
	text := machine200()
	if a := Analyze(text); a.Errors > 0 {
		b.Fatalf("the benchmark machine has errors: %+v", a.Problems)
	}
	b.ReportAllocs()
	for b.Loop() {
		Analyze(text)
	}
}
