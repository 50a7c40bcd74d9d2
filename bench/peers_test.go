// Package bench compares Stator's engine with the Go state machine libraries
// people use today, qmuntal/stateless and looplab/fsm, on the pystator
// tutorial's order lifecycle, in one `go test -bench` run. It is a module of
// its own so that the product never depends on the peers.
//
// Every implementation does the same work per operation: the entity is in a
// known state, one event arrives with the order's context, the guards read the
// context, and the machine answers where the entity goes. Stator's Process is
// pure (the caller holds the state); the peers are stateful objects, so each
// iteration first puts them back into the source state in the cheapest way
// each library allows (a variable behind stateless's external storage,
// looplab's SetState). The peers run no actions (none are configured), while
// Stator still returns the action names of the transition in its result.
package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/looplab/fsm"
	"github.com/qmuntal/stateless"
	"github.com/statorhq/stator/engine"
)

// orderYAML is the tutorial's order machine (shared/examples/order_management)
// with its guards written as expressions.
const orderYAML = `
meta: {machine_name: order_management, version: "1.0.0", strict_mode: true}
guards:
  is_full_fill: "fill_qty >= order_qty"
  is_partial_fill: "0 < fill_qty < order_qty"
  is_cancellable: "not in_flight"
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
  - {trigger: exchange_nack, source: pending_new, dest: rejected, actions: [record_rejection_reason]}
  - trigger: execution_report
    source: [open, partially_filled]
    dest: filled
    guards: [is_full_fill]
    actions: [update_positions, release_buying_power]
  - trigger: execution_report
    source: open
    dest: partially_filled
    guards: [is_partial_fill]
    actions: [update_positions, decrement_remaining_qty]
  - trigger: cancel_request
    source: [open, partially_filled]
    dest: canceled
    guards: [is_cancellable]
    actions: [send_cancel_to_exchange]
`

// orderYAMLNamed is the same machine with its guards left to Go functions
// registered in an engine.GuardRegistry.
const orderYAMLNamed = `
meta: {machine_name: order_management, version: "1.0.0", strict_mode: true}
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
  - {trigger: exchange_nack, source: pending_new, dest: rejected, actions: [record_rejection_reason]}
  - trigger: execution_report
    source: [open, partially_filled]
    dest: filled
    guards: [is_full_fill]
    actions: [update_positions, release_buying_power]
  - trigger: execution_report
    source: open
    dest: partially_filled
    guards: [is_partial_fill]
    actions: [update_positions, decrement_remaining_qty]
  - trigger: cancel_request
    source: [open, partially_filled]
    dest: canceled
    guards: [is_cancellable]
    actions: [send_cancel_to_exchange]
`

const (
	pendingNew      = "pending_new"
	open            = "open"
	partiallyFilled = "partially_filled"
	filled          = "filled"
	rejected        = "rejected"
	canceled        = "canceled"

	exchangeAck     = "exchange_ack"
	exchangeNack    = "exchange_nack"
	executionReport = "execution_report"
	cancelRequest   = "cancel_request"
)

// The tutorial's guards in Go, shared by every library's Go-guard variant.
// A missing or non-numeric value fails the guard, as in Stator's expressions.

func num(c map[string]any, k string) (float64, bool) {
	f, ok := c[k].(float64)
	return f, ok
}

func isFullFill(c map[string]any) bool {
	f, ok1 := num(c, "fill_qty")
	o, ok2 := num(c, "order_qty")
	return ok1 && ok2 && f >= o
}

func isPartialFill(c map[string]any) bool {
	f, ok1 := num(c, "fill_qty")
	o, ok2 := num(c, "order_qty")
	return ok1 && ok2 && 0 < f && f < o
}

func isCancellable(c map[string]any) bool {
	b, ok := c["in_flight"].(bool)
	return ok && !b
}

// ---- Stator ----

func statorExpr(tb testing.TB) *engine.Machine {
	tb.Helper()
	m, _, err := engine.Load([]byte(orderYAML))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func statorGo(tb testing.TB) *engine.Machine {
	tb.Helper()
	r := engine.NewGuardRegistry().
		MustRegister("is_full_fill", func(c engine.Context) bool { return isFullFill(c) }).
		MustRegister("is_partial_fill", func(c engine.Context) bool { return isPartialFill(c) }).
		MustRegister("is_cancellable", func(c engine.Context) bool { return isCancellable(c) })
	m, _, err := engine.Load([]byte(orderYAMLNamed), engine.WithGuards(r))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// ---- qmuntal/stateless ----

// statelessOrder builds the machine over external storage: *state is the
// entity's state, which the caller owns (as with Stator).
func statelessOrder(state *string, mode stateless.FiringMode) *stateless.StateMachine {
	guard := func(fn func(map[string]any) bool) stateless.GuardFunc {
		return func(_ context.Context, args ...any) bool {
			if len(args) == 0 {
				return false
			}
			c, ok := args[0].(map[string]any)
			return ok && fn(c)
		}
	}
	sm := stateless.NewStateMachineWithExternalStorage(
		func(context.Context) (stateless.State, error) { return *state, nil },
		func(_ context.Context, s stateless.State) error { *state = s.(string); return nil },
		mode)
	sm.Configure(pendingNew).
		Permit(exchangeAck, open).
		Permit(exchangeNack, rejected)
	sm.Configure(open).
		Permit(executionReport, filled, guard(isFullFill)).
		Permit(executionReport, partiallyFilled, guard(isPartialFill)).
		Permit(cancelRequest, canceled, guard(isCancellable))
	sm.Configure(partiallyFilled).
		Permit(executionReport, filled, guard(isFullFill)).
		Permit(cancelRequest, canceled, guard(isCancellable))
	return sm
}

// ---- looplab/fsm ----

// looplab/fsm has no guards and one destination per (event, source). The
// guards become before_<event> callbacks that cancel the event, and the
// second execution_report transition (open -> partially_filled) becomes its
// own event, tried when the first is cancelled: looplabExecutionReport is the
// dispatch a caller has to write. On a full fill (the measured case) it calls
// Event once.
const executionReportPartial = "execution_report_partial"

func looplabOrder() *fsm.FSM {
	guard := func(fn func(map[string]any) bool) fsm.Callback {
		return func(_ context.Context, e *fsm.Event) {
			if len(e.Args) == 0 {
				e.Cancel()
				return
			}
			if c, ok := e.Args[0].(map[string]any); !ok || !fn(c) {
				e.Cancel()
			}
		}
	}
	return fsm.NewFSM(pendingNew,
		fsm.Events{
			{Name: exchangeAck, Src: []string{pendingNew}, Dst: open},
			{Name: exchangeNack, Src: []string{pendingNew}, Dst: rejected},
			{Name: executionReport, Src: []string{open, partiallyFilled}, Dst: filled},
			{Name: executionReportPartial, Src: []string{open}, Dst: partiallyFilled},
			{Name: cancelRequest, Src: []string{open, partiallyFilled}, Dst: canceled},
		},
		fsm.Callbacks{
			"before_" + executionReport:        guard(isFullFill),
			"before_" + executionReportPartial: guard(isPartialFill),
			"before_" + cancelRequest:          guard(isCancellable),
		})
}

func looplabExecutionReport(f *fsm.FSM, c map[string]any) error {
	err := f.Event(context.Background(), executionReport, c)
	var canceled fsm.CanceledError
	if errors.As(err, &canceled) && f.Current() == open {
		err = f.Event(context.Background(), executionReportPartial, c)
	}
	return err
}

// ---- the same answers ----

// TestEquivalent checks that the four implementations agree on the
// tutorial's lifecycle before any of them is measured.
func TestEquivalent(t *testing.T) {
	type step struct {
		from, trigger string
		ctx           map[string]any
		want          string // "" when the event is refused
	}
	steps := []struct {
		name string
		step
	}{
		{"ack", step{pendingNew, exchangeAck, map[string]any{}, open}},
		{"full fill", step{open, executionReport, map[string]any{"fill_qty": 100.0, "order_qty": 100.0}, filled}},
		{"partial fill", step{open, executionReport, map[string]any{"fill_qty": 50.0, "order_qty": 100.0}, partiallyFilled}},
		{"rest of the fill", step{partiallyFilled, executionReport, map[string]any{"fill_qty": 100.0, "order_qty": 100.0}, filled}},
		{"no fill", step{open, executionReport, map[string]any{"fill_qty": 0.0, "order_qty": 100.0}, ""}},
		{"partial from partial", step{partiallyFilled, executionReport, map[string]any{"fill_qty": 50.0, "order_qty": 100.0}, ""}},
		{"cancel", step{open, cancelRequest, map[string]any{"in_flight": false}, canceled}},
		{"cancel in flight", step{open, cancelRequest, map[string]any{"in_flight": true}, ""}},
		{"ack when open", step{open, exchangeAck, map[string]any{}, ""}},
	}
	impls := []struct {
		name string
		fire func(from, trigger string, ctx map[string]any) string
	}{
		{"stator_expr", statorFire(statorExpr(t))},
		{"stator_gofunc", statorFire(statorGo(t))},
		{"stateless_immediate", statelessFire(stateless.FiringImmediate)},
		{"stateless_queued", statelessFire(stateless.FiringQueued)},
		{"looplab", func(from, trigger string, ctx map[string]any) string {
			f := looplabOrder()
			f.SetState(from)
			var err error
			if trigger == executionReport {
				err = looplabExecutionReport(f, ctx)
			} else {
				err = f.Event(context.Background(), trigger, ctx)
			}
			if err != nil {
				return ""
			}
			return f.Current()
		}},
	}
	for _, im := range impls {
		for _, tc := range steps {
			t.Run(im.name+"/"+tc.name, func(t *testing.T) {
				if got := im.fire(tc.from, tc.trigger, tc.ctx); got != tc.want {
					t.Errorf("%s on %s: got %q, want %q", tc.trigger, tc.from, got, tc.want)
				}
			})
		}
	}
}

func statorFire(m *engine.Machine) func(from, trigger string, ctx map[string]any) string {
	return func(from, trigger string, ctx map[string]any) string {
		r := m.Process(from, trigger, ctx)
		if !r.Success {
			return ""
		}
		return r.TargetState
	}
}

func statelessFire(mode stateless.FiringMode) func(from, trigger string, ctx map[string]any) string {
	return func(from, trigger string, ctx map[string]any) string {
		state := from
		sm := statelessOrder(&state, mode)
		if err := sm.Fire(trigger, ctx); err != nil {
			return ""
		}
		return state
	}
}

// ---- the benchmarks ----

// fullFill is the context of the guarded case: open -> filled.
func fullFill() map[string]any {
	return map[string]any{"order_id": "ORD-001", "order_qty": 100.0, "fill_qty": 100.0, "in_flight": false}
}

// BenchmarkGuarded measures one guarded transition, open -> filled on an
// execution_report that fills the order.
func BenchmarkGuarded(b *testing.B) {
	b.Run("stator_expr", func(b *testing.B) { benchStator(b, statorExpr(b), open, executionReport, filled) })
	b.Run("stator_gofunc", func(b *testing.B) { benchStator(b, statorGo(b), open, executionReport, filled) })
	b.Run("stateless_immediate", func(b *testing.B) {
		benchStateless(b, stateless.FiringImmediate, open, executionReport, filled)
	})
	b.Run("stateless_queued", func(b *testing.B) {
		benchStateless(b, stateless.FiringQueued, open, executionReport, filled)
	})
	b.Run("looplab", func(b *testing.B) {
		f := looplabOrder()
		ctx := fullFill()
		b.ReportAllocs()
		for b.Loop() {
			f.SetState(open)
			if err := looplabExecutionReport(f, ctx); err != nil {
				b.Fatal(err)
			}
		}
		if f.Current() != filled {
			b.Fatal(f.Current())
		}
	})
}

// BenchmarkUnguarded measures one plain transition, pending_new -> open on
// exchange_ack.
func BenchmarkUnguarded(b *testing.B) {
	b.Run("stator_expr", func(b *testing.B) { benchStator(b, statorExpr(b), pendingNew, exchangeAck, open) })
	b.Run("stator_gofunc", func(b *testing.B) { benchStator(b, statorGo(b), pendingNew, exchangeAck, open) })
	b.Run("stateless_immediate", func(b *testing.B) {
		benchStateless(b, stateless.FiringImmediate, pendingNew, exchangeAck, open)
	})
	b.Run("stateless_queued", func(b *testing.B) {
		benchStateless(b, stateless.FiringQueued, pendingNew, exchangeAck, open)
	})
	b.Run("looplab", func(b *testing.B) {
		f := looplabOrder()
		ctx := fullFill()
		b.ReportAllocs()
		for b.Loop() {
			f.SetState(pendingNew)
			if err := f.Event(context.Background(), exchangeAck, ctx); err != nil {
				b.Fatal(err)
			}
		}
		if f.Current() != open {
			b.Fatal(f.Current())
		}
	})
}

func benchStator(b *testing.B, m *engine.Machine, from, trigger, want string) {
	ctx := engine.Context(fullFill())
	state := from
	b.ReportAllocs()
	for b.Loop() {
		state = from
		r := m.Process(state, trigger, ctx)
		if !r.Success {
			b.Fatal(r.Error)
		}
		state = r.TargetState
	}
	if state != want {
		b.Fatal(state)
	}
}

func benchStateless(b *testing.B, mode stateless.FiringMode, from, trigger, want string) {
	state := from
	sm := statelessOrder(&state, mode)
	ctx := fullFill()
	b.ReportAllocs()
	for b.Loop() {
		state = from
		if err := sm.Fire(trigger, ctx); err != nil {
			b.Fatal(err)
		}
	}
	if state != want {
		b.Fatal(state)
	}
}

// ---- what the peers cannot express: Stator only ----

// compoundYAML has three levels; the transition is defined on the outermost
// state and taken from the innermost leaf, exiting all three.
const compoundYAML = `
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

// parallelYAML has one parallel state with two regions; one event moves both.
const parallelYAML = `
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

// BenchmarkCompound measures a transition inherited from a 3-level ancestor.
func BenchmarkCompound(b *testing.B) {
	b.Run("stator", func(b *testing.B) {
		m, _, err := engine.Load([]byte(compoundYAML))
		if err != nil {
			b.Fatal(err)
		}
		ctx := engine.Context{}
		b.ReportAllocs()
		for b.Loop() {
			if r := m.Process("l3", "leave", ctx); !r.Success || len(r.AllActions) != 5 {
				b.Fatal(r.Error, r.AllActions)
			}
		}
	})
}

// BenchmarkParallel measures one event that moves both regions of a parallel
// state (the result's target is a configuration string built per call).
func BenchmarkParallel(b *testing.B) {
	b.Run("stator", func(b *testing.B) {
		m, _, err := engine.Load([]byte(parallelYAML))
		if err != nil {
			b.Fatal(err)
		}
		ctx := engine.Context{}
		b.ReportAllocs()
		for b.Loop() {
			if r := m.Process("active:risk=normal,trading=scanning", "tick", ctx); r.TargetState != "active:risk=elevated,trading=analyzing" {
				b.Fatal(r.Error, r.TargetState)
			}
		}
	})
}
