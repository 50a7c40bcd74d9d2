package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/statorhq/stator/engine"
)

// benchOrder is the tutorial's order machine with the SPEC's two-guard full fill.
const benchOrder = `
meta: {machine_name: order_management, version: "1.0.0", strict_mode: true}
guards:
  is_full_fill: "fill_qty >= order_qty"
  is_partial_fill: "0 < fill_qty < order_qty"
states:
  - {name: pending_new, type: initial, timeout: {seconds: 5, destination: timed_out_ack}}
  - {name: open, on_enter: [notify_ui_open, log_audit_trail]}
  - {name: partially_filled}
  - {name: filled, type: terminal}
  - {name: rejected, type: terminal}
  - {name: canceled, type: terminal}
  - {name: timed_out_ack, type: terminal}
transitions:
  - {trigger: exchange_ack, source: pending_new, dest: open, actions: [update_order_id]}
  - {trigger: exchange_nack, source: pending_new, dest: rejected}
  - trigger: execution_report
    source: [open, partially_filled]
    dest: filled
    guards: [is_full_fill, {expr: "not in_flight"}]
    actions: [update_positions, release_buying_power]
  - {trigger: execution_report, source: open, dest: partially_filled, guards: [is_partial_fill]}
  - {trigger: cancel_request, source: [open, partially_filled], dest: canceled}
`

func mustLoad(b testing.TB, text string) *engine.Machine {
	b.Helper()
	m, _, err := engine.Load([]byte(text))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkProcessFlat(b *testing.B) {
	m := mustLoad(b, benchOrder)
	ctx := engine.Context{}
	b.ReportAllocs()
	for b.Loop() {
		if r := m.Process("pending_new", "exchange_ack", ctx); !r.Success {
			b.Fatal(r.Error)
		}
	}
}

func BenchmarkProcessGuarded(b *testing.B) {
	m := mustLoad(b, benchOrder)
	ctx := engine.Context{"fill_qty": 100.0, "order_qty": 100.0, "in_flight": false}
	b.ReportAllocs()
	for b.Loop() {
		if r := m.Process("open", "execution_report", ctx); !r.Success || r.TargetState != "filled" {
			b.Fatal(r.Error)
		}
	}
}

// BenchmarkProcessGuardedWithOptions is BenchmarkProcessGuarded the way the
// HTTP layer calls it: through ProcessWith, with a guard budget and a Done
// channel to stop on (SPEC 11's checks on the success path).
func BenchmarkProcessGuardedWithOptions(b *testing.B) {
	m := mustLoad(b, benchOrder)
	ctx := engine.Context{"fill_qty": 100.0, "order_qty": 100.0, "in_flight": false}
	opts := engine.ProcessOptions{Budget: engine.DefaultGuardBudget(), Done: make(chan struct{})}
	b.ReportAllocs()
	for b.Loop() {
		if r := m.ProcessWith("open", "execution_report", ctx, opts); !r.Success || r.TargetState != "filled" {
			b.Fatal(r.Error)
		}
	}
}

// benchHierarchy has three levels; the transition is defined on the outermost
// state and taken from the innermost leaf.
const benchHierarchy = `
meta: {machine_name: nested}
states:
  - {name: idle, type: initial}
  - {name: l1, initial_child: l2, on_exit: [exit_l1]}
  - {name: l2, parent: l1, initial_child: l3, on_exit: [exit_l2]}
  - {name: l3, parent: l2, on_exit: [exit_l3]}
  - {name: other, on_enter: [enter_other]}
transitions:
  - {trigger: go, source: idle, dest: l1}
  - {trigger: leave, source: l1, dest: other, actions: [log]}
  - {trigger: back, source: other, dest: idle}
`

func BenchmarkProcessHierarchy(b *testing.B) {
	m := mustLoad(b, benchHierarchy)
	ctx := engine.Context{}
	b.ReportAllocs()
	for b.Loop() {
		if r := m.Process("l3", "leave", ctx); !r.Success || len(r.AllActions) != 5 {
			b.Fatal(r.Error, r.AllActions)
		}
	}
}

const benchParallel = `
meta: {machine_name: desk}
states:
  - {name: idle, type: initial}
  - name: active
    type: parallel
    regions:
      - {name: trading, initial: scanning, states: [scanning, analyzing]}
      - {name: risk, initial: normal, states: [normal, elevated]}
  - {name: scanning, parent: active, on_exit: [stop_scan]}
  - {name: analyzing, parent: active, on_enter: [start_analysis]}
  - {name: normal, parent: active}
  - {name: elevated, parent: active}
transitions:
  - {trigger: start, source: idle, dest: active}
  - {trigger: tick, source: scanning, dest: analyzing}
  - {trigger: tick, source: normal, dest: elevated}
  - {trigger: calm, source: [analyzing, elevated], dest: idle}
  - {trigger: halt, source: active, dest: idle}
`

func BenchmarkProcessParallel(b *testing.B) {
	m := mustLoad(b, benchParallel)
	ctx := engine.Context{}
	b.ReportAllocs()
	for b.Loop() {
		if r := m.Process("active:risk=normal,trading=scanning", "tick", ctx); r.TargetState != "active:risk=elevated,trading=analyzing" {
			b.Fatal(r.Error, r.TargetState)
		}
	}
}

// generatedMachine builds n states in chains of ten under compound parents,
// with three transitions per state.
func generatedMachine(n int) string { return generatedShape(n, 3) }

// generatedShape builds n states in chains of ten under compound parents, with
// perState transitions per state (1 to 3): next, then a guarded jump, then back
// with an action.
func generatedShape(n, perState int) string {
	var b strings.Builder
	b.WriteString("meta: {machine_name: generated}\nstates:\n  - {name: s0, type: initial}\n")
	for i := 1; i < n; i++ {
		if i%10 == 1 {
			fmt.Fprintf(&b, "  - {name: s%d, initial_child: s%d}\n", i, i+1)
		} else if i%10 != 1 && (i-1)%10 != 0 {
			fmt.Fprintf(&b, "  - {name: s%d, parent: s%d}\n", i, i-(i-1)%10)
		} else {
			fmt.Fprintf(&b, "  - {name: s%d}\n", i)
		}
	}
	b.WriteString("transitions:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {trigger: next, source: s%d, dest: s%d}\n", i, (i+1)%n)
		if perState >= 2 {
			fmt.Fprintf(&b, "  - {trigger: jump, source: s%d, dest: s%d, guards: [{expr: \"x > %d\"}]}\n", i, (i*7+3)%n, i%50)
		}
		if perState >= 3 {
			fmt.Fprintf(&b, "  - {trigger: back, source: s%d, dest: s0, actions: [log]}\n", i)
		}
	}
	return b.String()
}

// BenchmarkLoad1000States loads, validates and compiles 1,000 states with
// 3,000 transitions (SPEC 10: at most 20 ms).
func BenchmarkLoad1000States(b *testing.B) { benchLoad(b, generatedMachine(1000)) }

// BenchmarkLoad1000States1000Transitions is the same states with one
// transition each, to show how the share of yaml.v3's parse scales with the text.
func BenchmarkLoad1000States1000Transitions(b *testing.B) { benchLoad(b, generatedShape(1000, 1)) }

// BenchmarkYAMLParse1000States is yaml.v3's own parse of the 3,000-transition
// text into a node tree, the part of BenchmarkLoad1000States we cannot change.
func BenchmarkYAMLParse1000States(b *testing.B) { benchYAML(b, generatedMachine(1000)) }

// BenchmarkYAMLParse1000States1000Transitions is yaml.v3's parse of the
// 1,000-transition text.
func BenchmarkYAMLParse1000States1000Transitions(b *testing.B) {
	benchYAML(b, generatedShape(1000, 1))
}

func benchLoad(b *testing.B, text string) {
	data := []byte(text)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := engine.Load(data); err != nil {
			b.Fatal(err)
		}
	}
}

func benchYAML(b *testing.B, text string) {
	data := []byte(text)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			b.Fatal(err)
		}
	}
}
