package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/statorhq/stator/engine"
)

// orderYAML is the order lifecycle of pystator's tutorial, with its guards
// written as expressions.
const orderYAML = `
meta:
  machine_name: order_management
  version: "1.0.0"
  strict_mode: true
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
    actions: [{name: send_cancel_to_exchange, params: {priority: high}}]
`

func ExampleLoad() {
	m, problems, err := engine.Load([]byte(orderYAML))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Name(), m.Version())
	fmt.Println("starts in", m.InitialState())
	fmt.Println("triggers", m.Triggers())
	fmt.Println("problems", len(problems))
	// Output:
	// order_management 1.0.0
	// starts in pending_new
	// triggers [cancel_request exchange_ack exchange_nack execution_report]
	// problems 0
}

// A definition with errors gives every problem, each with its position.
func ExampleLoad_problems() {
	_, problems, err := engine.Load([]byte(`
states:
  - {name: pending_new, type: initial}
  - {name: Open}
transitions:
  - {trigger: exchange_ack, source: pending_new, dest: opened}
`))
	fmt.Println(errors.Is(err, engine.ErrInvalidMachine))
	for _, p := range problems {
		fmt.Printf("%d:%d %s %s\n", p.Line, p.Column, p.Code, p.Path)
	}
	// Output:
	// true
	// 4:12 invalid_name states[1].name
	// 6:56 unknown_state transitions[0].dest
}

func ExampleMachine_Process() {
	m, _, _ := engine.Load([]byte(orderYAML))

	res := m.Process("open", "execution_report", engine.Context{"fill_qty": 100, "order_qty": 100})
	fmt.Println(res.Success, res.SourceState, "->", res.TargetState)
	fmt.Println(res.AllActions)

	res = m.Process("filled", "cancel_request", engine.Context{"in_flight": false})
	fmt.Println(res.Success, res.Error.Code, res.Error.Type)
	// Output:
	// true open -> filled
	// [update_positions release_buying_power]
	// false terminal_state TerminalStateError
}

// The payload of an event is merged over the context (the payload wins); the
// guard trace says why an event was refused.
func ExampleMachine_ProcessWith() {
	m, _, _ := engine.Load([]byte(orderYAML))
	order := engine.Context{"order_qty": 100, "fill_qty": 0}

	res := m.ProcessWith("open", "execution_report", order, engine.ProcessOptions{
		Payload: engine.Payload{"fill_qty": 50},
	})
	fmt.Println(res.TargetState, res.AllActions)

	res = m.ProcessWith("open", "execution_report", order, engine.ProcessOptions{
		Payload: engine.Payload{"fill_qty": 0},
	})
	fmt.Println(res.Error.Code, res.Metadata.GuardName)
	for _, entry := range res.GuardTrace() {
		for _, g := range entry.Guards {
			v, _ := json.Marshal(g.Values)
			fmt.Println(entry.Dest, g.Guard, g.Passed, string(v))
		}
	}
	// Output:
	// partially_filled [update_positions decrement_remaining_qty]
	// guard_rejected is_full_fill
	// filled is_full_fill false {"fill_qty":0,"order_qty":100}
	// partially_filled is_partial_fill false {"fill_qty":0,"order_qty":100}
}

// Guard expressions run within a budget (SPEC 11). A guard that spends more
// than one evaluation may fails with a reason in the trace; when all of one
// call's guards spend more than the call may, the call fails with
// guard_budget_exceeded. Done stops a call whose caller is gone.
func ExampleMachine_ProcessWith_budget() {
	m, _, _ := engine.Load([]byte(`
meta: {machine_name: budget}
states:
  - {name: a, type: initial}
  - {name: b}
transitions:
  - {trigger: go, source: a, dest: b, guards: [{expr: "len(s + s + s + s) > 0"}]}
`))
	ctx := engine.Context{"s": "a long text"}

	res := m.ProcessWith("a", "go", ctx, engine.ProcessOptions{Budget: engine.GuardBudget{EvalMemory: 30}})
	fmt.Println(res.Error.Code, res.GuardTrace()[0].Guards[0].Error)

	res = m.ProcessWith("a", "go", ctx, engine.ProcessOptions{Budget: engine.GuardBudget{TotalMemory: 30}})
	fmt.Println(res.Error.Code, res.Error.Type)

	ctxDone, cancel := context.WithCancel(context.Background())
	cancel()
	res = m.ProcessWith("a", "go", ctx, engine.ProcessOptions{Done: ctxDone.Done()})
	fmt.Println(res.Error.Code, res.Success)

	res = m.ProcessWith("a", "go", ctx, engine.ProcessOptions{})
	fmt.Println(res.TargetState)
	// Output:
	// guard_rejected evaluation budget exceeded
	// guard_budget_exceeded GuardBudgetExceededError
	// cancelled false
	// b
}

func ExampleSession() {
	m, _, _ := engine.Load([]byte(orderYAML))
	s := m.Create(engine.Context{"order_id": "o-1", "order_qty": 100})

	s.Send("exchange_ack", nil)
	s.Send("execution_report", engine.Payload{"fill_qty": 50})
	fmt.Println(s.State(), s.Is("partially_filled"), s.IsFinal())

	res := s.Send("execution_report", engine.Payload{"fill_qty": 100})
	fmt.Println(res.TargetState, s.IsFinal(), s.Context()["fill_qty"])
	// Output:
	// partially_filled true false
	// filled true 100
}

// A snapshot is the session's persistent form; Restore continues it.
func ExampleRestore() {
	m, _, _ := engine.Load([]byte(orderYAML))
	s := m.Create(engine.Context{"order_qty": 100})
	s.Send("exchange_ack", nil)

	data, _ := json.Marshal(s.Snapshot())
	s2, err := engine.RestoreJSON(m, data)
	if err != nil {
		fmt.Println(err)
		return
	}
	res := s2.Send("execution_report", engine.Payload{"fill_qty": 100})
	fmt.Println(res.SourceState, "->", res.TargetState)
	fmt.Println(s2.Snapshot().HistoryLen)
	// Output:
	// open -> filled
	// 2
}

// Timers run on the session's clock; a virtual clock moves only when told.
func ExampleSession_Advance() {
	m, _, _ := engine.Load([]byte(orderYAML))
	s := m.Create(engine.Context{})
	fmt.Println(s.Timers()[0].Trigger, s.Timers()[0].AfterMs)

	fired, _ := s.Advance(5 * time.Second)
	fmt.Println(len(fired), s.State())
	// Output:
	// _timeout 5000
	// 1 timed_out_ack
}

// The executor runs a result's actions after the caller persisted the new
// state: exit, then transition, then enter actions, with their params.
func ExampleExecutor() {
	m, _, _ := engine.Load([]byte(orderYAML))
	actions := engine.NewActionRegistry()
	show := func(name string) engine.ActionFunc {
		return func(_ context.Context, data engine.Context, params map[string]any) error {
			fmt.Println(" ", name, data["order_id"], params)
			return nil
		}
	}
	actions.Register("update_order_id", show("update_order_id"))
	actions.Register("notify_ui_open", show("notify_ui_open"))
	actions.Register("send_cancel_to_exchange", show("send_cancel_to_exchange"))

	exec := engine.NewExecutor(actions)
	order := engine.Context{"order_id": "o-1", "in_flight": false}

	res := m.Process("pending_new", "exchange_ack", order)
	report := exec.Execute(context.Background(), &res, order)
	fmt.Println("skipped:", report.Skipped())

	res = m.Process("open", "cancel_request", order)
	exec.Execute(context.Background(), &res, order)
	// Output:
	//   update_order_id o-1 map[]
	//   notify_ui_open o-1 map[]
	// skipped: [log_audit_trail]
	//   send_cancel_to_exchange o-1 map[priority:high]
}

// Go guard functions are resolved before `guards:` expressions.
func ExampleWithGuards() {
	guards := engine.NewGuardRegistry().MustRegister("is_cancellable", func(ctx engine.Context) bool {
		return ctx["trader"] == "ada"
	})
	m, _, _ := engine.Load([]byte(orderYAML), engine.WithGuards(guards))
	fmt.Println(m.Process("open", "cancel_request", engine.Context{"trader": "ada"}).TargetState)
	fmt.Println(m.Process("open", "cancel_request", engine.Context{"trader": "bob"}).Error.Code)
	// Output:
	// canceled
	// guard_rejected
}

// Metrics is a hook that counts outcomes; the observer times each call with
// its clock.
func ExampleMetrics() {
	m, _, _ := engine.Load([]byte(orderYAML))
	metrics := engine.NewMetrics(0)
	obs := engine.NewObserver(engine.ClockFunc(time.Now), metrics)

	obs.Process(m, "pending_new", "exchange_ack", nil, engine.ProcessOptions{})
	obs.Process(m, "filled", "exchange_ack", nil, engine.ProcessOptions{})

	sum := metrics.Summary()
	fmt.Println(sum.Total, sum.SuccessRate, sum.ByTrigger, sum.ByErrorCode)
	// Output:
	// 2 0.5 map[exchange_ack:2] map[terminal_state:1]
}
