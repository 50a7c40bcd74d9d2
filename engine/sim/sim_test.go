package sim_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
)

// examplesDir holds the example machines the web app offers as templates.
const examplesDir = "../../web/examples"

func loadExample(t testing.TB, name string) *engine.Machine {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(examplesDir, name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return load(t, string(b))
}

func load(t testing.TB, text string) *engine.Machine {
	t.Helper()
	m, problems, err := engine.Load([]byte(text))
	if err != nil {
		t.Fatalf("load: %v %v", err, problems)
	}
	return m
}

// form builds a form with the op field and single values.
func form(op string, kv ...string) sim.Form {
	f := sim.Form{}
	if op != "" {
		f[sim.FieldOp] = []string{op}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = []string{kv[i+1]}
	}
	return f
}

// request does what one request of the simulator does: a new Sim on the
// posted trace, one operation, one replay.
func request(t testing.TB, m *engine.Machine, tr sim.Trace, f sim.Form) (*sim.Run, error) {
	t.Helper()
	s, err := sim.New(m, tr, sim.Limits{})
	if err != nil {
		t.Fatalf("new: %v", err)
	}
	opErr := s.Apply(sim.ParseOperation(f))
	return s.Run(), opErr
}

func eventTexts(evs []sim.Event) []string {
	var out []string
	for _, e := range evs {
		s := e.Trigger + " " + e.From + "→" + e.To
		if e.ByTimer {
			s = "timer " + s
		}
		if !e.Success {
			s = e.Trigger + " refused: " + e.Error
		}
		out = append(out, s)
	}
	return out
}

func changeTexts(cs []sim.Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return out
}

func labels(r *sim.Run) []string {
	var out []string
	for _, e := range r.Log {
		out = append(out, e.Label)
	}
	return out
}

// TestOrderLifecycle walks the order machine one request at a time, as the
// page does: each row posts the trace the previous one returned.
func TestOrderLifecycle(t *testing.T) {
	m := loadExample(t, "order_management")
	tests := []struct {
		name  string
		form  sim.Form
		check func(t *testing.T, r *sim.Run)
	}{
		{"fill before any step sets the starting context", form("fill"), func(t *testing.T, r *sim.Run) {
			want := engine.Context{"order_id": "ORD-001", "order_qty": 100, "fill_qty": 0, "in_flight": false}
			if got := r.Trace.Context; !reflect.DeepEqual(got, want) || len(r.Trace.Steps) != 0 {
				t.Errorf("context %v steps %d, want %v and none", got, len(r.Trace.Steps), want)
			}
		}},
		{"the typed fields set the context; an unchecked checkbox is false", form("context", "ctx.order_qty", "120", "ctx.order_id", "X", "ctx.fill_qty", "0"), func(t *testing.T, r *sim.Run) {
			want := engine.Context{"order_id": "X", "order_qty": 120.0, "fill_qty": 0.0, "in_flight": false}
			if got := r.Cursor.Context; !reflect.DeepEqual(got, want) {
				t.Errorf("context %v, want %v", got, want)
			}
			if got := r.Cursor.Timers; len(got) != 1 || got[0].Trigger != "_timeout" || sim.FormatClock(got[0].Due) != "00:00:05" {
				t.Errorf("timers %+v, want _timeout at 00:00:05", got)
			}
		}},
		{"exchange_ack opens and cancels the ack timeout", form("event:exchange_ack"), func(t *testing.T, r *sim.Run) {
			if r.Cursor.State != "open" || len(r.Log) != 1 {
				t.Fatalf("state %s, %d steps", r.Cursor.State, len(r.Log))
			}
			e := r.Log[0]
			if got, want := eventTexts(e.Events), []string{"exchange_ack pending_new→open"}; !reflect.DeepEqual(got, want) {
				t.Errorf("events %q, want %q", got, want)
			}
			if len(e.Cancelled) != 1 || e.Cancelled[0].Trigger != "_timeout" || e.Cancelled[0].State != "pending_new" {
				t.Errorf("cancelled %+v, want the _timeout of pending_new", e.Cancelled)
			}
			if got, want := e.Events[0].Actions, []string{"update_order_id", "notify_ui_open", "log_audit_trail"}; !reflect.DeepEqual(got, want) {
				t.Errorf("actions %q, want %q", got, want)
			}
		}},
		{"a fill of 50 is partial and merges into the context", form("event:execution_report", "payload.execution_report.fill_qty", "50"), func(t *testing.T, r *sim.Run) {
			if r.Cursor.State != "partially_filled" || r.Cursor.Context["fill_qty"] != 50.0 {
				t.Errorf("state %s context %v", r.Cursor.State, r.Cursor.Context)
			}
			if got, want := changeTexts(r.Log[1].Changes), []string{"fill_qty: 0 → 50"}; !reflect.DeepEqual(got, want) {
				t.Errorf("changes %q, want %q", got, want)
			}
		}},
		{"a fill of 120 fills", form("event:execution_report", "payload.execution_report.fill_qty", "120"), func(t *testing.T, r *sim.Run) {
			if r.Cursor.State != "filled" {
				t.Errorf("state %s, want filled", r.Cursor.State)
			}
			if got, want := labels(r), []string{"exchange_ack", `execution_report {"fill_qty":50}`, `execution_report {"fill_qty":120}`}; !reflect.DeepEqual(got, want) {
				t.Errorf("labels %q, want %q", got, want)
			}
		}},
		{"going back one step keeps the undone step as the future", form("goto:2"), func(t *testing.T, r *sim.Run) {
			if r.Cursor.State != "partially_filled" || len(r.Trace.Steps) != 3 || !r.Log[2].Future || r.Log[1].Future {
				t.Errorf("state %s, %d steps, log %+v", r.Cursor.State, len(r.Trace.Steps), r.Log)
			}
		}},
		{"a context edit after steps is a step that starts a branch", form("context", "ctx.in_flight", "true", "ctx.order_qty", "120", "ctx.fill_qty", "50", "ctx.order_id", "X"), func(t *testing.T, r *sim.Run) {
			if len(r.Trace.Steps) != 3 || r.Trace.Steps[2].Kind != sim.StepContext || r.Trace.At != 3 {
				t.Fatalf("steps %+v at %d", r.Trace.Steps, r.Trace.At)
			}
			if got, want := changeTexts(r.Log[2].Changes), []string{"in_flight: false → true"}; !reflect.DeepEqual(got, want) {
				t.Errorf("changes %q, want %q", got, want)
			}
			if r.Cursor.State != "partially_filled" || r.Cursor.Context["in_flight"] != true {
				t.Errorf("cursor %+v", r.Cursor)
			}
		}},
	}
	tr := sim.NewTrace()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := request(t, m, tr, tc.form)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			tc.check(t, r)
			tr = r.Trace
		})
	}
	// the trace survives JSON (a share link) and replays to the same place
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := sim.ParseTrace(raw, sim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sim.Replay(m, back, sim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sim.Replay(m, tr, sim.Limits{})
	if !reflect.DeepEqual(got.Cursor, want.Cursor) || !reflect.DeepEqual(labels(got), labels(want)) {
		t.Errorf("replayed from JSON: %+v, want %+v", got.Cursor, want.Cursor)
	}
}

// TestClock drives the virtual clock: timers fire when it passes their due
// time, in the step that moved it.
func TestClock(t *testing.T) {
	m := loadExample(t, "order_management")
	tests := []struct {
		name       string
		ops        []sim.Form
		wantState  string
		wantClock  string
		wantEvents []string // of the last step
	}{
		{"4 s is before the ack timeout", []sim.Form{form("advance", "seconds", "4")}, "pending_new", "00:00:04", nil},
		{"5.5 s is after it", []sim.Form{form("advance", "seconds", "4"), form("advance", "seconds", "1.5")}, "timed_out_ack", "00:00:05.500",
			[]string{"timer _timeout pending_new→timed_out_ack"}},
		{"next timer stops at its due time", []sim.Form{form("next_timer")}, "timed_out_ack", "00:00:05", []string{"timer _timeout pending_new→timed_out_ack"}},
		{"next timer with none pending moves nothing", []sim.Form{form("event:exchange_ack"), form("next_timer")}, "open", "00:00:00", nil},
		{"reset goes back to the start", []sim.Form{form("next_timer"), form("reset")}, "pending_new", "00:00:00", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := sim.NewTrace()
			var r *sim.Run
			for _, f := range tc.ops {
				var err error
				if r, err = request(t, m, tr, f); err != nil {
					t.Fatalf("%v refused: %v", f, err)
				}
				tr = r.Trace
			}
			if got := r.Cursor.State; got != tc.wantState {
				t.Errorf("state %s, want %s", got, tc.wantState)
			}
			if got := sim.FormatClock(r.Cursor.Clock); got != tc.wantClock {
				t.Errorf("clock %s, want %s", got, tc.wantClock)
			}
			var got []string
			if len(r.Log) > 0 {
				got = eventTexts(r.Log[len(r.Log)-1].Events)
			}
			if !reflect.DeepEqual(got, tc.wantEvents) {
				t.Errorf("events of the last step %q, want %q", got, tc.wantEvents)
			}
		})
	}
}

// TestRefusedOperations: a refused operation says what to fix, wraps the
// sentinel of what happened, and leaves the trace as it was.
func TestRefusedOperations(t *testing.T) {
	m := loadExample(t, "order_management")
	start, err := request(t, m, sim.NewTrace(), form("event:exchange_ack"))
	if err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	tests := []struct {
		name     string
		form     sim.Form
		wantKind error
		want     string
	}{
		{"number field", form("context", "ctx.order_qty", "lots"), sim.ErrInput, `order_qty must be a number, not "lots"`},
		{"raw JSON not an object", form("context_json", "ctx_json", "[1]"), sim.ErrInput, `The context must be a JSON object, such as {"order_qty": 100}.`},
		{"raw JSON too deep", form("context_json", "ctx_json", `{"a":`+deep+`}`), sim.ErrLimit, "The context is nested 41 levels deep; the limit is 32."},
		{"payload JSON", form("event:cancel_request", "payload.cancel_request.json", "{oops"), sim.ErrInput, `the payload of cancel_request must be a JSON object, such as {"fill_qty": 50}`},
		{"payload JSON too deep", form("event:cancel_request", "payload.cancel_request.json", `{"a":`+deep+`}`), sim.ErrLimit, "the payload of cancel_request is nested 41 levels deep; the limit is 32"},
		{"typed payload", form("event:execution_report", "payload.execution_report.fill_qty", "x"), sim.ErrInput, `fill_qty must be a number, not "x"`},
		{"unknown op", form("explode"), sim.ErrOp, `unknown simulator operation "explode"`},
		{"no such step", form("goto:99"), sim.ErrOp, "there is no such step"},
		{"step not a number", form("goto:x"), sim.ErrOp, "there is no such step"},
		{"negative advance", form("advance", "seconds", "-1"), sim.ErrInput, "Advance by a number of seconds greater than 0 and at most 10 years."},
		{"advance past the limit", form("advance", "seconds", "1e12"), sim.ErrInput, "Advance by a number of seconds greater than 0 and at most 10 years."},
		{"advance NaN", form("advance", "seconds", "NaN"), sim.ErrInput, "Advance by a number of seconds greater than 0 and at most 10 years."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := request(t, m, start.Trace, tc.form)
			if !errors.Is(err, tc.wantKind) {
				t.Errorf("error %v, want one of kind %v", err, tc.wantKind)
			}
			if got := sim.Message(err); got != tc.want {
				t.Errorf("message %q, want %q", got, tc.want)
			}
			if !reflect.DeepEqual(r.Trace, start.Trace) {
				t.Errorf("the trace changed: %+v, was %+v", r.Trace, start.Trace)
			}
		})
	}
}

// TestStepLimit: a trace holds at most MaxSteps steps; one more is refused.
func TestStepLimit(t *testing.T) {
	m := loadExample(t, "order_management")
	tr := sim.NewTrace()
	for range 3 {
		tr.Steps = append(tr.Steps, sim.Step{Kind: sim.StepNextTimer})
	}
	tr.At = 3
	s, err := sim.New(m, tr, sim.Limits{MaxSteps: 3})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Apply(sim.ParseOperation(form("next_timer")))
	if got, want := sim.Message(err), "A simulation keeps at most 3 steps."; !errors.Is(err, sim.ErrLimit) || got != want {
		t.Errorf("error %v (%q), want ErrLimit %q", err, got, want)
	}
	if got := len(s.Run().Trace.Steps); got != 3 {
		t.Errorf("%d steps, want 3", got)
	}
}

// TestGuardToggles: unbound guards are listed; a switched-off one refuses.
func TestGuardToggles(t *testing.T) {
	m := load(t, "meta: {machine_name: g}\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b, guards: [approved, approved, checked]}\n")
	if got, want := sim.UnboundGuards(m.Definition()), []string{"approved", "checked"}; !reflect.DeepEqual(got, want) {
		t.Errorf("unbound guards %q, want %q", got, want)
	}
	r, err := request(t, m, sim.NewTrace(), form("guards", "guard.checked", "true")) // approved is unchecked: not posted
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"approved": false, "checked": true}; !reflect.DeepEqual(r.Trace.GuardValues, want) {
		t.Errorf("guard values %v, want %v", r.Trace.GuardValues, want)
	}
	checks := sim.CheckEvents(m, r.Cursor.State, r.Cursor.Context, r.Cursor.GuardValues, nil, sim.Limits{})
	if len(checks) != 1 || checks[0].Reason != "approved is switched off" {
		t.Errorf("checks %+v, want go refused: approved is switched off", checks)
	}
}
