package sim_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
)

// fuzzMachine has timers that re-arm each other, a timeout, a guarded event
// with a declared payload, an unbound guard and a terminal state.
const fuzzMachine = `meta: {machine_name: fuzz}
state_variables:
  - {key: n, type: number, default: 1}
  - {key: ok, type: boolean}
  - {key: tags, type: array}
events:
  - {name: set, payload: [{key: n, type: number, required: true}]}
guards:
  big: "n > 3"
states:
  - {name: a, type: initial, timeout: {seconds: 1, destination: c}}
  - {name: b}
  - {name: c}
  - {name: d, type: terminal}
transitions:
  - {trigger: tick, source: a, dest: b, after: 1}
  - {trigger: tock, source: b, dest: a, after: 2}
  - {trigger: set, source: [a, b, c], dest: c, guards: [big]}
  - {trigger: go, source: c, dest: a, guards: [approved]}
  - {trigger: end, source: [a, b, c], dest: d}
`

// FuzzTrace reads a trace as the page posts it, applies an operation with
// one form value, replays and checks the explanations: nothing panics, a
// refusal is an *sim.Error with a sentence, the bounds hold, and the
// resulting trace survives JSON and replays the same. Seeds are in
// testdata/fuzz/FuzzTrace.
func FuzzTrace(f *testing.F) {
	m, _, err := engine.Load([]byte(fuzzMachine))
	if err != nil {
		f.Fatal(err)
	}
	lim := sim.Limits{MaxSteps: 40, MaxTimerFirings: 300, MaxLogEntries: 100}
	f.Fuzz(func(t *testing.T, data []byte, op, value string) {
		tr, err := sim.ParseTrace(data, lim)
		if err != nil {
			checkRefusal(t, "the trace", err)
		}
		s, err := sim.New(m, tr, lim)
		if err != nil {
			t.Fatalf("a parsed trace is refused by New: %v", err)
		}
		form := sim.Form{sim.FieldOp: {op}}
		for _, k := range []string{sim.FieldSeconds, sim.FieldContextJSON, sim.ContextField("n"), sim.ContextField("tags"),
			sim.PayloadField("set", "n"), sim.PayloadJSONField("tick"), sim.GuardField("approved")} {
			form[k] = []string{value}
		}
		if err := s.Apply(sim.ParseOperation(form)); err != nil {
			checkRefusal(t, "the operation", err)
		}
		r := s.Run()
		checkBounds(t, r, lim)
		for _, c := range sim.CheckEvents(m, r.Cursor.State, r.Cursor.Context, r.Cursor.GuardValues, form, lim) {
			if c.Enabled() != (c.Reason == "") || (c.Target != "" && !c.Enabled()) {
				t.Errorf("check %+v", c)
			}
		}
		raw, err := json.Marshal(r.Trace)
		if err != nil {
			t.Fatalf("the trace is not JSON: %v", err)
		}
		back, err := sim.ParseTrace(raw, lim)
		if err != nil {
			t.Fatalf("the trace written %s is refused: %v", raw, err)
		}
		again, err := sim.Replay(m, back, lim)
		if err != nil {
			t.Fatal(err)
		}
		if again.Cursor.State != r.Cursor.State || again.Cursor.Clock != r.Cursor.Clock || again.Firings != r.Firings ||
			jsonText(again.Cursor.Context) != jsonText(r.Cursor.Context) || len(again.Log) != len(r.Log) {
			t.Errorf("replayed from JSON: %s at %v (%d firings), want %s at %v (%d)", again.Cursor.State, again.Cursor.Clock, again.Firings,
				r.Cursor.State, r.Cursor.Clock, r.Firings)
		}
	})
}

func checkRefusal(t *testing.T, what string, err error) {
	t.Helper()
	var e *sim.Error
	if !errors.As(err, &e) || e.Message == "" || sim.Message(err) != e.Message {
		t.Fatalf("%s is refused with %#v, not a *sim.Error with a message", what, err)
	}
	for _, kind := range []error{sim.ErrTrace, sim.ErrVersion, sim.ErrLimit, sim.ErrInput, sim.ErrOp} {
		if errors.Is(err, kind) {
			return
		}
	}
	t.Fatalf("%s is refused with %v, of no known kind", what, err)
}

func checkBounds(t *testing.T, r *sim.Run, lim sim.Limits) {
	t.Helper()
	lines := 0
	for _, e := range r.Log {
		lines += len(e.Events) + len(e.Changes) + len(e.Cancelled)
	}
	switch {
	case r.Firings > lim.MaxTimerFirings:
		t.Errorf("%d timers fired, the limit is %d", r.Firings, lim.MaxTimerFirings)
	case r.Kept > lim.MaxLogEntries || lines != r.Kept:
		t.Errorf("%d log entries kept (%d in the log), the limit is %d", r.Kept, lines, lim.MaxLogEntries)
	case len(r.Trace.Steps) > lim.MaxSteps || len(r.Log) > len(r.Trace.Steps):
		t.Errorf("%d steps, %d logged, the limit is %d", len(r.Trace.Steps), len(r.Log), lim.MaxSteps)
	case r.Trace.At < 0 || r.Trace.At > len(r.Trace.Steps):
		t.Errorf("cursor %d of %d steps", r.Trace.At, len(r.Trace.Steps))
	case r.Stopped && r.Firings != lim.MaxTimerFirings:
		t.Errorf("stopped after %d timers, the budget is %d", r.Firings, lim.MaxTimerFirings)
	case (r.Stopped || r.Omitted > 0) != (len(r.Notices) > 0):
		t.Errorf("stopped %v, %d omitted, notices %q", r.Stopped, r.Omitted, r.Notices)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
