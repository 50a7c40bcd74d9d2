package handlers

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/web/templates"
)

func loadExample(t *testing.T, name string) *engine.Machine {
	t.Helper()
	b, err := os.ReadFile("../examples/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := engine.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// op applies one simulator operation and returns the view.
func op(t *testing.T, m *engine.Machine, tr *Trace, operation string, form map[string]string) (string, []string) {
	t.Helper()
	f := formValues{}
	for k, v := range form {
		f[k] = []string{v}
	}
	name, arg, _ := strings.Cut(operation, ":")
	msg := applyOp(m, tr, name, arg, f)
	r := replay(m, *tr)
	return msg, []string{r.state}
}

func TestSimulatorOrderLifecycle(t *testing.T) {
	m := loadExample(t, "order_management")
	tr := Trace{Context: engine.Context{}}
	op(t, m, &tr, "fill", nil)
	if tr.Context["order_qty"] != 100 || tr.Context["fill_qty"] != 0 || len(tr.Steps) != 0 {
		t.Fatalf("fill before any step sets the initial context: %+v", tr)
	}
	if msg, _ := op(t, m, &tr, "context", map[string]string{"ctx.order_qty": "120", "ctx.order_id": "X", "ctx.fill_qty": "0"}); msg != "" {
		t.Fatal(msg)
	}
	if tr.Context["order_qty"] != 120.0 || tr.Context["in_flight"] != false {
		t.Fatalf("context edit: %v (an unchecked checkbox is false)", tr.Context)
	}
	// execution_report is not available in pending_new; exchange_ack is
	v := simulatorView(m, tr, formValues{}, "")
	if v.State != "pending_new" || names(v.Events) != "exchange_ack,exchange_nack" {
		t.Fatalf("state %s, events %s", v.State, names(v.Events))
	}
	if len(v.Timers) != 1 || v.Timers[0].Trigger != "timeout of pending_new" || v.Timers[0].Due != "00:00:05" {
		t.Errorf("timers %+v", v.Timers)
	}
	op(t, m, &tr, "event:exchange_ack", nil)
	v = simulatorView(m, tr, formValues{"payload.execution_report.fill_qty": {"50"}}, "")
	if v.State != "open" {
		t.Fatalf("state %s", v.State)
	}
	if len(v.Steps) != 1 || len(v.Steps[0].Cancelled) != 1 || v.Steps[0].Cancelled[0] != "_timeout of pending_new" {
		t.Errorf("the ack timeout is shown as cancelled: %+v", v.Steps)
	}
	er := button(v, "execution_report")
	if er.Disabled || er.Target != "partially_filled" {
		t.Errorf("execution_report with fill_qty 50 of 120: %+v", er)
	}
	// with a fill of 0 both candidates refuse, and the reason says why with the values
	v = simulatorView(m, tr, formValues{"payload.execution_report.fill_qty": {"0"}}, "")
	er = button(v, "execution_report")
	want := "→ filled: fill_qty >= order_qty: 0 >= 120 is false; → partially_filled: 0 < fill_qty < order_qty: 0 < 0 < 120 is false"
	if !er.Disabled || er.Reason != want {
		t.Errorf("reason %q, want %q", er.Reason, want)
	}
	// without the required payload field
	v = simulatorView(m, tr, formValues{}, "")
	if er = button(v, "execution_report"); !er.Disabled || er.Reason != "the payload needs fill_qty" {
		t.Errorf("required payload: %+v", er)
	}
	op(t, m, &tr, "event:execution_report", map[string]string{"payload.execution_report.fill_qty": "50"})
	op(t, m, &tr, "event:execution_report", map[string]string{"payload.execution_report.fill_qty": "120"})
	if _, st := op(t, m, &tr, "refresh", nil); st[0] != "filled" {
		t.Fatalf("state %s, want filled", st[0])
	}
	// back one step, then branch: the future is replaced
	op(t, m, &tr, "goto:2", nil)
	if _, st := op(t, m, &tr, "refresh", nil); st[0] != "partially_filled" || len(tr.Steps) != 3 {
		t.Fatalf("goto 2: %s, %d steps", st[0], len(tr.Steps))
	}
	v = simulatorView(m, tr, formValues{}, "")
	if !v.Steps[2].Future {
		t.Error("the step after the cursor is shown as future")
	}
	op(t, m, &tr, "context", map[string]string{"ctx.in_flight": "true", "ctx.order_qty": "120", "ctx.fill_qty": "50", "ctx.order_id": "X"})
	if len(tr.Steps) != 3 || tr.Steps[2].Kind != "context" {
		t.Fatalf("a context edit after steps is a step that starts a branch: %+v", tr.Steps)
	}
	v = simulatorView(m, tr, formValues{}, "")
	if cr := button(v, "cancel_request"); !cr.Disabled || cr.Reason != "not in_flight: not true is false" {
		t.Errorf("cancel while in flight: %+v", cr)
	}
	// the trace survives JSON (the share link) and replays to the same place
	raw, _ := json.Marshal(tr)
	back, err := parseTrace(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := replay(m, back); got.state != "partially_filled" || got.ctx["in_flight"] != true {
		t.Errorf("replayed from JSON: %s %v", got.state, got.ctx)
	}
}

func TestSimulatorClock(t *testing.T) {
	m := loadExample(t, "order_management")
	tr := Trace{Context: engine.Context{}}
	op(t, m, &tr, "advance", map[string]string{"seconds": "4"})
	if _, st := op(t, m, &tr, "refresh", nil); st[0] != "pending_new" {
		t.Fatalf("after 4 s: %s", st[0])
	}
	op(t, m, &tr, "advance", map[string]string{"seconds": "1.5"})
	r := replay(m, tr)
	if r.state != "timed_out_ack" || fmtClock(r.now) != "00:00:05.500" {
		t.Fatalf("after 5.5 s: %s at %s", r.state, fmtClock(r.now))
	}
	if ev := r.log[1].Events; len(ev) != 1 || !ev[0].ByTimer || ev[0].Trigger != "_timeout" {
		t.Errorf("the timer's event is logged: %+v", r.log[1])
	}
	op(t, m, &tr, "reset", nil)
	op(t, m, &tr, "next_timer", nil)
	if r := replay(m, tr); r.state != "timed_out_ack" || fmtClock(r.now) != "00:00:05" {
		t.Errorf("next timer: %s at %s", r.state, fmtClock(r.now))
	}
	if msg, _ := op(t, m, &tr, "advance", map[string]string{"seconds": "-1"}); msg == "" {
		t.Error("a negative advance is refused")
	}
}

func TestSimulatorParallelAndGuards(t *testing.T) {
	m := loadExample(t, "trading_desk")
	tr := Trace{Context: engine.Context{}}
	op(t, m, &tr, "event:open_market", nil)
	v := simulatorView(m, tr, formValues{}, "")
	if v.State != "session:risk=normal,trading=scanning" {
		t.Fatalf("state %s", v.State)
	}
	hl := v.Data.(map[string]any)["highlight"].([]string)
	if strings.Join(hl, ",") != "s_session_,s_scanning_,s_normal_" {
		t.Errorf("highlight %v", hl)
	}
	// exposure is missing: the guard fails with the reason, not a crash
	if b := button(v, "exposure_update"); !b.Disabled || !strings.Contains(b.Reason, "exposure is not in the context") {
		t.Errorf("exposure_update: %+v", b)
	}
	// unbound guards get toggles; a false toggle refuses
	text := "meta: {machine_name: g}\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b, guards: [approved]}\n"
	gm, _, err := engine.Load([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	gt := Trace{Context: engine.Context{}}
	v = simulatorView(gm, gt, formValues{}, "")
	if len(v.Guards) != 1 || v.Guards[0].Name != "approved" || !v.Guards[0].Value || button(v, "go").Disabled {
		t.Fatalf("guard toggle default true: %+v %+v", v.Guards, v.Events)
	}
	op(t, gm, &gt, "guards", nil) // the checkbox is unchecked: not sent
	v = simulatorView(gm, gt, formValues{}, "")
	if b := button(v, "go"); !b.Disabled || b.Reason != "approved is switched off" {
		t.Errorf("switched off: %+v", b)
	}
}

func TestSimulatorBadInput(t *testing.T) {
	m := loadExample(t, "order_management")
	tr := Trace{Context: engine.Context{}}
	tests := []struct {
		name, op string
		form     map[string]string
		want     string
	}{
		{"number field", "context", map[string]string{"ctx.order_qty": "lots"}, `order_qty must be a number, not "lots"`},
		{"raw JSON", "context_json", map[string]string{"ctx_json": "[1]"}, "must be a JSON object"},
		{"payload JSON", "event:exchange_ack", map[string]string{"payload.exchange_ack.json": "{oops"}, "must be a JSON object"},
		{"unknown op", "explode", nil, "unknown simulator operation"},
		{"bad step", "goto:99", nil, "no such step"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, _ := op(t, m, &tr, tc.op, tc.form)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q does not say %q", msg, tc.want)
			}
		})
	}
	if _, err := parseTrace("{not json"); err == nil {
		t.Error("a broken trace is reported")
	}
	if tr, err := parseTrace(`{"steps":[],"at":7}`); err != nil || tr.At != 0 {
		t.Errorf("an out of range cursor is clamped: %+v %v", tr, err)
	}
}

func names(evs []templatesEvent) string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Trigger)
	}
	return strings.Join(out, ",")
}

func button(v templatesView, trigger string) templatesEvent {
	for _, e := range v.Events {
		if e.Trigger == trigger {
			return e
		}
	}
	return templatesEvent{}
}

type (
	templatesView  = templates.SimulatorView
	templatesEvent = templates.SimEventButton
)
