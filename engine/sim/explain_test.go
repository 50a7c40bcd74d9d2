package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
)

// TestCheckEvents: one check per trigger available in a state, disabled
// with the reason its guards (or its payload) give, with the operands'
// values put into the expression.
func TestCheckEvents(t *testing.T) {
	order := loadExample(t, "order_management")
	unbound := load(t, "meta: {machine_name: g}\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b, guards: [approved]}\n")
	named := load(t, "meta: {machine_name: n}\nguards: {big: \"size > 10\"}\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b, guards: [big]}\n  - {trigger: inline, source: a, dest: b, guards: [{expr: \"note == 'y'\"}]}\n")
	ctx := engine.Context{"order_id": "X", "order_qty": 120.0, "fill_qty": 0.0, "in_flight": false}
	inFlight := engine.Context{"order_id": "X", "order_qty": 120.0, "fill_qty": 50.0, "in_flight": true}
	long := strings.Repeat("x", 1000)
	tests := []struct {
		name       string
		m          *engine.Machine
		state      string
		ctx        engine.Context
		values     engine.GuardValues
		form       sim.Form
		trigger    string
		wantReason string
		wantTarget string
	}{
		{"enabled, with the target", order, "open", ctx, nil, form("", "payload.execution_report.fill_qty", "50"), "execution_report", "", "partially_filled"},
		{"both candidates refuse, each says why", order, "open", ctx, nil, form("", "payload.execution_report.fill_qty", "0"), "execution_report",
			"→ filled: fill_qty >= order_qty: 0 >= 120 is false; → partially_filled: 0 < fill_qty < order_qty: 0 < 0 < 120 is false", ""},
		{"one candidate refuses", order, "partially_filled", inFlight, nil, form("", "payload.execution_report.fill_qty", "30"), "execution_report",
			"fill_qty >= order_qty: 30 >= 120 is false", ""},
		{"a required payload field is missing", order, "open", ctx, nil, nil, "execution_report", "the payload needs fill_qty", ""},
		{"a payload field cannot be read", order, "open", ctx, nil, form("", "payload.execution_report.fill_qty", "lots"), "execution_report", `fill_qty must be a number, not "lots"`, ""},
		{"a boolean read by not", order, "partially_filled", inFlight, nil, nil, "cancel_request", "not in_flight: not true is false", ""},
		{"a JSON payload that is not an object", order, "open", ctx, nil, form("", "payload.cancel_request.json", "[]"), "cancel_request",
			`the payload of cancel_request must be a JSON object, such as {"fill_qty": 50}`, ""},
		{"an unbound guard with no value supplied counts as true", unbound, "a", nil, engine.GuardValues{}, nil, "go", "", "b"},
		{"an unbound guard switched off", unbound, "a", nil, engine.GuardValues{"approved": false}, nil, "go", "approved is switched off", ""},
		{"a named guard shows its expression", named, "a", engine.Context{"size": 3.0}, nil, nil, "go", "size > 10: 3 > 10 is false", ""},
		{"a named guard that errs names itself", named, "a", engine.Context{}, nil, nil, "go", "big (size > 10): size is not in the context", ""},
		{"a long value is cut", named, "a", engine.Context{"note": long}, nil, nil, "inline",
			`note == 'y': "` + strings.Repeat("x", sim.MaxValueText-1) + `… == 'y' is false`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *sim.EventCheck
			checks := sim.CheckEvents(tc.m, tc.state, tc.ctx, tc.values, tc.form, sim.Limits{})
			for i := range checks {
				if checks[i].Trigger == tc.trigger {
					got = &checks[i]
				}
			}
			if got == nil {
				t.Fatalf("no check of %s among %+v", tc.trigger, checks)
			}
			if got.Reason != tc.wantReason || got.Target != tc.wantTarget || got.Enabled() != (tc.wantReason == "") {
				t.Errorf("reason %q target %q, want %q and %q", got.Reason, got.Target, tc.wantReason, tc.wantTarget)
			}
		})
	}
}

// TestCheckEventsParallel: in a parallel configuration the triggers of every
// region are offered; a guard reading a missing key refuses with the reason.
func TestCheckEventsParallel(t *testing.T) {
	desk := loadExample(t, "trading_desk")
	r, err := request(t, desk, sim.NewTrace(), form("event:open_market"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Cursor.State, "session:risk=normal,trading=scanning"; got != want {
		t.Fatalf("state %s, want %s", got, want)
	}
	checks := sim.CheckEvents(desk, r.Cursor.State, r.Cursor.Context, nil, nil, sim.Limits{})
	var exposure *sim.EventCheck
	for i := range checks {
		if checks[i].Trigger == "exposure_update" {
			exposure = &checks[i]
		}
	}
	if exposure == nil || exposure.Enabled() || !strings.Contains(exposure.Reason, "exposure is not in the context") {
		t.Errorf("exposure_update: %+v", exposure)
	}
}

// TestExplain: what the entity page says of a refused event.
func TestExplain(t *testing.T) {
	m := loadExample(t, "order_management")
	tests := []struct {
		name, state, trigger string
		ctx                  engine.Context
		want                 string
	}{
		{"guards", "open", "execution_report", engine.Context{"order_qty": 100.0, "fill_qty": 0.0},
			"→ filled: fill_qty >= order_qty: 0 >= 100 is false; → partially_filled: 0 < fill_qty < order_qty: 0 < 0 < 100 is false"},
		{"not a guard's refusal: the engine's message", "filled", "execution_report", engine.Context{}, ""},
		{"accepted", "pending_new", "exchange_ack", engine.Context{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Process(tc.state, tc.trigger, tc.ctx)
			got := sim.Explain(m, &res)
			want := tc.want
			if want == "" && res.Error != nil {
				want = res.Error.Message
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// TestChangeString: how the log writes a context change.
func TestChangeString(t *testing.T) {
	tests := []struct {
		name string
		c    sim.Change
		want string
	}{
		{"added", sim.Change{Key: "k", After: 1.0, Added: true}, "k = 1"},
		{"removed", sim.Change{Key: "k", Before: "x", Removed: true}, "k removed"},
		{"changed", sim.Change{Key: "k", Before: map[string]any{"a": 1.0}, After: []any{true}}, `k: {"a":1} → [true]`},
		{"cut", sim.Change{Key: "k", After: strings.Repeat("é", 300), Added: true}, `k = "` + strings.Repeat("é", 255) + "…"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.c.String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFormat: the clock and durations as the panel shows them.
func TestFormat(t *testing.T) {
	tests := []struct {
		name      string
		d         time.Duration
		wantClock string
		wantDur   string
	}{
		{"zero", 0, "00:00:00", "0s"},
		{"whole seconds", 5 * time.Second, "00:00:05", "5s"},
		{"milliseconds", 5500 * time.Millisecond, "00:00:05.500", "5.5s"},
		{"past a day", 26*time.Hour + 61*time.Second, "26:01:01", "93661s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sim.FormatClock(tc.d); got != tc.wantClock {
				t.Errorf("FormatClock %q, want %q", got, tc.wantClock)
			}
			if got := sim.FormatDuration(tc.d); got != tc.wantDur {
				t.Errorf("FormatDuration %q, want %q", got, tc.wantDur)
			}
		})
	}
}
