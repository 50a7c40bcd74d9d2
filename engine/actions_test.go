package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/statorhq/stator/engine"
)

type ctxKey struct{}

// call is one action call seen by a recorder.
type call struct {
	Name   string
	Params map[string]any
	Data   engine.Context
	Req    any // the value of ctxKey in the context.Context
}

// recorder registers actions that record their calls in order.
type recorder struct {
	calls []call
}

func (r *recorder) action(name string, err error, panicWith any) engine.ActionFunc {
	return func(ctx context.Context, data engine.Context, params map[string]any) error {
		r.calls = append(r.calls, call{Name: name, Params: params, Data: data, Req: ctx.Value(ctxKey{})})
		if panicWith != nil {
			panic(panicWith)
		}
		return err
	}
}

func TestExecutor(t *testing.T) {
	m := mustLoad(t, `states:
  - {name: idle, type: initial}
  - {name: ops, initial_child: trading, on_exit: [exit_ops]}
  - {name: trading, parent: ops, on_exit: [exit_trading, {name: audit, params: {level: info}}]}
  - {name: review, on_enter: [enter_review, unregistered_enter]}
transitions:
  - {trigger: start, source: idle, dest: ops}
  - trigger: escalate
    source: trading
    dest: review
    actions: [{name: notify, params: {channel: ops, retries: 2}}, failing, panicking, unregistered_action, last]
  - {trigger: back, source: review, dest: idle}
`)
	rec := &recorder{}
	reg := engine.NewActionRegistry()
	for _, name := range []string{"exit_ops", "exit_trading", "audit", "notify", "last", "enter_review"} {
		if err := reg.Register(name, rec.action(name, nil, nil)); err != nil {
			t.Fatal(err)
		}
	}
	reg.Register("failing", rec.action("failing", errors.New("the broker said no"), nil))
	reg.Register("panicking", rec.action("panicking", nil, "nil map"))

	data := engine.Context{"order_id": "o-1"}
	res := m.Process("trading", "escalate", data)
	ctx := context.WithValue(context.Background(), ctxKey{}, "req-7")
	report := engine.NewExecutor(reg).Execute(ctx, &res, data)

	wantRuns := []engine.ActionRun{
		{Name: "exit_trading", Phase: engine.PhaseExit},
		{Name: "audit", Phase: engine.PhaseExit},
		{Name: "exit_ops", Phase: engine.PhaseExit},
		{Name: "notify", Phase: engine.PhaseTransition},
		{Name: "failing", Phase: engine.PhaseTransition, Error: "the broker said no"},
		{Name: "panicking", Phase: engine.PhaseTransition, Error: "the action panicked: nil map"},
		{Name: "unregistered_action", Phase: engine.PhaseTransition, Skipped: true},
		{Name: "last", Phase: engine.PhaseTransition},
		{Name: "enter_review", Phase: engine.PhaseEnter},
		{Name: "unregistered_enter", Phase: engine.PhaseEnter, Skipped: true},
	}
	if !reflect.DeepEqual(report.Runs, wantRuns) {
		t.Errorf("runs:\n got %+v\nwant %+v", report.Runs, wantRuns)
	}
	if got, want := report.Skipped(), []string{"unregistered_action", "unregistered_enter"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Skipped() = %v, want %v", got, want)
	}
	if got, want := report.Failed(), []engine.ActionRun{wantRuns[4], wantRuns[5]}; !reflect.DeepEqual(got, want) {
		t.Errorf("Failed() = %v, want %v", got, want)
	}

	wantCalls := []call{
		{Name: "exit_trading", Params: map[string]any{}, Data: data, Req: "req-7"},
		{Name: "audit", Params: map[string]any{"level": "info"}, Data: data, Req: "req-7"},
		{Name: "exit_ops", Params: map[string]any{}, Data: data, Req: "req-7"},
		{Name: "notify", Params: map[string]any{"channel": "ops", "retries": 2}, Data: data, Req: "req-7"},
		{Name: "failing", Params: map[string]any{}, Data: data, Req: "req-7"},
		{Name: "panicking", Params: map[string]any{}, Data: data, Req: "req-7"},
		{Name: "last", Params: map[string]any{}, Data: data, Req: "req-7"},
		{Name: "enter_review", Params: map[string]any{}, Data: data, Req: "req-7"},
	}
	if !reflect.DeepEqual(rec.calls, wantCalls) {
		t.Errorf("calls:\n got %+v\nwant %+v", rec.calls, wantCalls)
	}

	raw, _ := json.Marshal(engine.ExecutionReport{Runs: wantRuns[3:5]})
	if want := `{"runs":[{"name":"notify","phase":"transition"},{"name":"failing","phase":"transition","error":"the broker said no"}]}`; string(raw) != want {
		t.Errorf("report JSON = %s, want %s", raw, want)
	}
}

func TestExecutorRunsNothingForAFailure(t *testing.T) {
	m := mustLoad(t, orderYAML)
	rec := &recorder{}
	reg := engine.NewActionRegistry()
	reg.Register("update_order_id", rec.action("update_order_id", nil, nil))
	exec := engine.NewExecutor(reg)
	tests := []struct {
		name string
		res  *engine.Result
	}{
		{name: "a refused event", res: func() *engine.Result { r := m.Process("open", "exchange_ack", nil); return &r }()},
		{name: "no result", res: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			report := exec.Execute(context.Background(), tc.res, nil)
			if report.Runs == nil || len(report.Runs) != 0 || len(rec.calls) != 0 {
				t.Errorf("runs = %#v, calls = %v; want an empty list and no call", report.Runs, rec.calls)
			}
		})
	}
}

func TestActionRegistry(t *testing.T) {
	noop := func(context.Context, engine.Context, map[string]any) error { return nil }
	reg := engine.NewActionRegistry()
	tests := []struct {
		name    string
		action  string
		fn      engine.ActionFunc
		wantErr error // nil: registered
	}{
		{name: "a valid name", action: "notify", fn: noop},
		{name: "another", action: "audit_2", fn: noop},
		{name: "capitals", action: "Notify", fn: noop, wantErr: engine.ErrInvalidName},
		{name: "a dash", action: "send-mail", fn: noop, wantErr: engine.ErrInvalidName},
		{name: "empty", action: "", fn: noop, wantErr: engine.ErrInvalidName},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := reg.Register(tc.action, tc.fn)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil) == (err == nil) {
				t.Errorf("Register(%q) = %v, want %v", tc.action, err, tc.wantErr)
			}
		})
	}
	if err := reg.Register("nil_fn", nil); err == nil {
		t.Error("a nil function was registered")
	}
	if got, want := reg.Names(), []string{"audit_2", "notify"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	replaced := false
	reg.Register("notify", func(context.Context, engine.Context, map[string]any) error { replaced = true; return nil })
	fn, ok := reg.Lookup("notify")
	if !ok {
		t.Fatal("notify is not registered")
	}
	fn(context.Background(), nil, nil)
	if !replaced {
		t.Error("registering a name again does not replace the action")
	}
	if _, ok := reg.Lookup("missing"); ok {
		t.Error("Lookup found an unregistered action")
	}
}

// TestExecutorConcurrent runs one executor from many goroutines (-race).
func TestExecutorConcurrent(t *testing.T) {
	m := mustLoad(t, orderYAML)
	reg := engine.NewActionRegistry()
	counts := make(chan string, 1000)
	for _, name := range []string{"update_order_id", "notify_ui_open", "log_audit_trail"} {
		reg.Register(name, func(context.Context, engine.Context, map[string]any) error { counts <- name; return nil })
	}
	exec := engine.NewExecutor(reg)
	done := make(chan engine.ExecutionReport)
	for i := 0; i < 10; i++ {
		go func() {
			res := m.Process("pending_new", "exchange_ack", nil)
			done <- exec.Execute(context.Background(), &res, engine.Context{"i": i})
		}()
	}
	for i := 0; i < 10; i++ {
		if rep := <-done; len(rep.Runs) != 3 || len(rep.Failed()) != 0 {
			t.Errorf("report %+v", rep)
		}
	}
	close(counts)
	seen := map[string]int{}
	for n := range counts {
		seen[n]++
	}
	if want := map[string]int{"update_order_id": 10, "notify_ui_open": 10, "log_audit_trail": 10}; !reflect.DeepEqual(seen, want) {
		t.Errorf("calls %v, want %v", seen, want)
	}
}
