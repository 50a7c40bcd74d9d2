package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
)

// t0 is where the virtual clocks of these tests start.
var t0 = time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)

// pending lists pending timers as "trigger@offset from t0" for compact checks.
func pending(ts []engine.PendingTimer) []string {
	out := []string{}
	for _, p := range ts {
		out = append(out, fmt.Sprintf("%s@%s", p.Trigger, p.Due.Sub(t0)))
	}
	return out
}

// targets lists the target state (or error code) of each result.
func targets(rs []engine.Result) []string {
	out := []string{}
	for _, r := range rs {
		if r.Success {
			out = append(out, r.TargetState)
		} else {
			out = append(out, r.Error.Code)
		}
	}
	return out
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		wantState  string
		wantTimers []string
	}{
		{
			name:       "at the initial state, its timeout armed",
			text:       orderYAML,
			wantState:  "pending_new",
			wantTimers: []string{"_timeout@5s"},
		},
		{
			name: "at the initial leaf of a compound initial state, every entered timer armed, earliest first",
			text: `states:
  - {name: boot, type: initial, initial_child: probing, timeout: {seconds: 10, destination: failed}}
  - {name: probing, parent: boot, timeout: {seconds: 1, destination: ready}}
  - {name: ready, parent: boot}
  - {name: failed, type: terminal}
transitions:
  - {trigger: fail, source: boot, dest: failed}
`,
			wantState:  "probing",
			wantTimers: []string{"_timeout@1s", "_timeout@10s"},
		},
		{
			name: "at the configuration of a parallel state inside the initial state",
			text: `states:
  - {name: powered, type: initial, initial_child: running}
  - name: running
    type: parallel
    parent: powered
    regions:
      - {name: motor, initial: spinning, states: [spinning]}
      - {name: fan, initial: blowing, states: [blowing]}
  - {name: spinning, parent: running}
  - {name: blowing, parent: running, timeout: {seconds: 2, destination: stopped}}
  - {name: stopped, type: terminal}
transitions:
  - {trigger: stop, source: powered, dest: stopped}
`,
			wantState:  "running:fan=blowing,motor=spinning",
			wantTimers: []string{"_timeout@2s"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustLoad(t, tc.text)
			s := m.Create(engine.Context{"order_id": "o-1"}, engine.WithClock(engine.NewManualClock(t0)))
			if got := s.State(); got != tc.wantState {
				t.Errorf("State() = %q, want %q", got, tc.wantState)
			}
			if got := pending(s.Timers()); !reflect.DeepEqual(got, tc.wantTimers) {
				t.Errorf("Timers() = %v, want %v", got, tc.wantTimers)
			}
			if got := s.EnteredAt(); !got.Equal(t0) {
				t.Errorf("EnteredAt() = %v, want %v", got, t0)
			}
			if got := s.History(); len(got) != 0 {
				t.Errorf("History() = %v, want none", got)
			}
		})
	}
}

func TestSendIntoParallel(t *testing.T) {
	m := mustLoad(t, `states:
  - {name: off, type: initial}
  - name: running
    type: parallel
    regions:
      - {name: motor, initial: spinning, states: [spinning]}
      - {name: fan, initial: blowing, states: [blowing, resting]}
  - {name: spinning, parent: running}
  - {name: blowing, parent: running}
  - {name: resting, parent: running}
transitions:
  - {trigger: go, source: off, dest: running}
  - {source: blowing, dest: resting, after: 2s}
  - {trigger: stop, source: running, dest: off}
`)
	s := m.Create(nil, engine.WithClock(engine.NewManualClock(t0)))
	s.Send("go", nil)
	tests := []struct {
		name string
		got  any
		want any
	}{
		{name: "state", got: s.State(), want: "running:fan=blowing,motor=spinning"},
		{name: "is the parallel state", got: s.Is("running"), want: true},
		{name: "is a region's state", got: s.Is("spinning"), want: true},
		{name: "is not another state of the region", got: s.Is("resting"), want: false},
		{name: "timers", got: pending(s.Timers()), want: []string{"_after_blowing_2000_ms@2s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	fired, err := s.Advance(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := targets(fired), []string{"running:fan=resting,motor=spinning"}; !reflect.DeepEqual(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
}

// TestSend checks that a session moves on success, merges the payload into
// the context on success only, and records every event in its history.
func TestSend(t *testing.T) {
	clock := engine.NewManualClock(t0)
	m := mustLoad(t, orderYAML)
	start := engine.Context{"order_id": "o-1", "order_qty": 100}
	s := m.Create(start, engine.WithClock(clock))
	start["order_id"] = "changed by the caller"

	steps := []struct {
		name      string
		after     time.Duration // clock advance before the event
		trigger   string
		payload   engine.Payload
		wantOK    bool
		wantState string
		wantCtx   engine.Context
	}{
		{name: "ack", after: time.Second, trigger: "exchange_ack", wantOK: true, wantState: "open",
			wantCtx: engine.Context{"order_id": "o-1", "order_qty": 100}},
		{name: "a refused event does not merge its payload", after: time.Second, trigger: "execution_report", payload: engine.Payload{"fill_qty": 0, "note": "x"},
			wantState: "open", wantCtx: engine.Context{"order_id": "o-1", "order_qty": 100}},
		{name: "a partial fill merges its payload", after: time.Second, trigger: "execution_report", payload: engine.Payload{"fill_qty": 50},
			wantOK: true, wantState: "partially_filled", wantCtx: engine.Context{"order_id": "o-1", "order_qty": 100, "fill_qty": 50}},
		{name: "the full fill", after: time.Second, trigger: "execution_report", payload: engine.Payload{"fill_qty": 100},
			wantOK: true, wantState: "filled", wantCtx: engine.Context{"order_id": "o-1", "order_qty": 100, "fill_qty": 100}},
		{name: "a terminal state refuses", trigger: "cancel_request", payload: engine.Payload{"in_flight": false},
			wantState: "filled", wantCtx: engine.Context{"order_id": "o-1", "order_qty": 100, "fill_qty": 100}},
	}
	for _, st := range steps {
		clock.Advance(st.after)
		res := s.Send(st.trigger, st.payload)
		if res.Success != st.wantOK || s.State() != st.wantState {
			t.Fatalf("%s: success %v state %q (%v), want %v %q", st.name, res.Success, s.State(), res.Err(), st.wantOK, st.wantState)
		}
		if got := s.Context(); !reflect.DeepEqual(got, st.wantCtx) {
			t.Fatalf("%s: context = %v, want %v", st.name, got, st.wantCtx)
		}
	}
	if !s.IsFinal() {
		t.Error("IsFinal() = false in filled")
	}
	s.Context()["fill_qty"] = 1
	if got := s.Context()["fill_qty"]; got != 100 {
		t.Errorf("Context() is not a copy: fill_qty = %v", got)
	}
	if got, want := s.EnteredAt(), t0.Add(4*time.Second); !got.Equal(want) {
		t.Errorf("EnteredAt() = %v, want %v", got, want)
	}

	type row struct {
		Seq      int
		Trigger  string
		From, To string
		Success  bool
		Code     string
		Actions  []string
		At       time.Duration
		Payload  engine.Context
	}
	var got []row
	for _, st := range s.History() {
		code := ""
		if st.Error != nil {
			code = st.Error.Code
		}
		got = append(got, row{st.Seq, st.Trigger, st.From, st.To, st.Success, code, st.Actions, st.At.Sub(t0), st.Payload})
	}
	want := []row{
		{1, "exchange_ack", "pending_new", "open", true, "", []string{"update_order_id", "notify_ui_open", "log_audit_trail"}, time.Second, nil},
		{2, "execution_report", "open", "open", false, "guard_rejected", []string{}, 2 * time.Second, engine.Context{"fill_qty": 0, "note": "x"}},
		{3, "execution_report", "open", "partially_filled", true, "", []string{"update_positions", "decrement_remaining_qty"}, 3 * time.Second, engine.Context{"fill_qty": 50}},
		{4, "execution_report", "partially_filled", "filled", true, "", []string{"update_positions", "release_buying_power"}, 4 * time.Second, engine.Context{"fill_qty": 100}},
		{5, "cancel_request", "filled", "filled", false, "terminal_state", []string{}, 4 * time.Second, engine.Context{"in_flight": false}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("history:\n got %+v\nwant %+v", got, want)
	}
	h := s.History()
	if trace := h[1].Result.GuardTrace(); len(trace) != 2 || trace[1].Guards[0].Guard != "is_partial_fill" || trace[1].Guards[0].Passed {
		t.Errorf("the history keeps the result's guard trace: %+v", trace)
	}
}

// TestAdvance checks timers on a virtual clock: due timers fire in order, each
// processed like an event, and leaving a state cancels its timers.
func TestAdvance(t *testing.T) {
	m := loadTestdata(t, "timers.yaml")

	t.Run("timers fire in order and the clock stops at each", func(t *testing.T) {
		s := m.Create(nil, engine.WithClock(engine.NewManualClock(t0)))
		s.Send("go", nil)
		if got, want := pending(s.Timers()), []string{"_timeout@1.5s", "_timeout@1m0s"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("after go: %v, want %v", got, want)
		}
		fired, err := s.Advance(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// warming times out at 1.5s; running's 500ms `after` fires at 2s and
		// leaves busy, which cancels running's poll and busy's timeout
		if got, want := targets(fired), []string{"running", "cooling"}; !reflect.DeepEqual(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
		if got, want := pending(s.Timers()), []string{"_after_cooling_3600000_ms@1h0m2s"}; !reflect.DeepEqual(got, want) {
			t.Errorf("pending %v, want %v", got, want)
		}
		var at []string
		for _, st := range s.History()[1:] {
			at = append(at, fmt.Sprintf("%s %v %s", st.Trigger, st.Timer, st.At.Sub(t0)))
		}
		if want := []string{"_timeout true 1.5s", "_after_running_500_ms true 2s"}; !reflect.DeepEqual(at, want) {
			t.Errorf("history %v, want %v", at, want)
		}
		if got, want := s.Now(), t0.Add(2*time.Second); !got.Equal(want) {
			t.Errorf("clock at %v, want %v", got, want)
		}
		if got, want := s.EnteredAt(), t0.Add(2*time.Second); !got.Equal(want) {
			t.Errorf("EnteredAt() = %v, want %v", got, want)
		}
	})

	t.Run("a timer whose state was left never fires", func(t *testing.T) {
		s := m.Create(nil, engine.WithClock(engine.NewManualClock(t0)))
		s.Send("go", nil)
		s.Send("cool", nil)
		fired, err := s.Advance(2 * time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if len(fired) != 0 || s.State() != "cooling" {
			t.Errorf("fired %v, state %q; want nothing in cooling", targets(fired), s.State())
		}
		if got, want := pending(s.Timers()), []string{"_after_cooling_3600000_ms@1h0m0s"}; !reflect.DeepEqual(got, want) {
			t.Errorf("pending %v, want %v", got, want)
		}
	})

	t.Run("AdvanceToNext moves to the next timer only", func(t *testing.T) {
		s := m.Create(nil, engine.WithClock(engine.NewManualClock(t0)))
		s.Send("go", nil)
		var got []string
		for i := 0; i < 3; i++ {
			fired, err := s.AdvanceToNext()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%v@%s", targets(fired), s.Now().Sub(t0)))
		}
		want := []string{"[running]@1.5s", "[cooling]@2s", "[idle]@1h0m2s"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		fired, err := s.AdvanceToNext()
		if err != nil || fired != nil || !s.Now().Equal(t0.Add(time.Hour+2*time.Second)) {
			t.Errorf("with no timer: %v %v at %v; want nothing and the clock unmoved", fired, err, s.Now())
		}
	})

	t.Run("timers due at the same time fire in the order armed", func(t *testing.T) {
		m := mustLoad(t, `states:
  - {name: a, type: initial, timeout: {seconds: 1, destination: by_timeout}}
  - {name: by_timeout, type: terminal}
  - {name: by_after, type: terminal}
transitions:
  - {source: a, dest: by_after, after: 1000}
`)
		s := m.Create(nil)
		fired, _ := s.Advance(time.Second)
		if got, want := targets(fired), []string{"by_timeout"}; !reflect.DeepEqual(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
	})

	t.Run("guards apply to a timer's transition", func(t *testing.T) {
		m := mustLoad(t, `states:
  - {name: waiting, type: initial}
  - {name: retry, type: terminal}
transitions:
  - {source: waiting, dest: retry, after: 1s, guards: [{expr: "attempts < 3"}]}
`)
		s := m.Create(engine.Context{"attempts": 3})
		fired, _ := s.Advance(5 * time.Second)
		if got, want := targets(fired), []string{"guard_rejected"}; !reflect.DeepEqual(got, want) || s.State() != "waiting" {
			t.Errorf("fired %v in %q, want %v in waiting", got, s.State(), want)
		}
		if got := s.Timers(); len(got) != 0 {
			t.Errorf("a fired timer stays pending: %v", got)
		}
	})

	t.Run("an after self-loop repeats", func(t *testing.T) {
		m := mustLoad(t, `states:
  - {name: polling, type: initial}
  - {name: done, type: terminal}
transitions:
  - {trigger: poll, source: polling, dest: polling, after: 1s, actions: [check]}
  - {trigger: finish, source: polling, dest: done}
`)
		s := m.Create(nil, engine.WithClock(engine.NewManualClock(t0)))
		fired, _ := s.Advance(3500 * time.Millisecond)
		if got, want := targets(fired), []string{"polling", "polling", "polling"}; !reflect.DeepEqual(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
		if got, want := pending(s.Timers()), []string{"poll@4s"}; !reflect.DeepEqual(got, want) {
			t.Errorf("pending %v, want %v", got, want)
		}
		if got := s.EnteredAt(); !got.Equal(t0) {
			t.Errorf("EnteredAt() = %v: a self-transition does not re-enter", got)
		}
	})

	t.Run("an event on a state restarts its timeout", func(t *testing.T) {
		m := mustLoad(t, `states:
  - {name: connected, type: initial, timeout: {seconds: 30, destination: lost}}
  - {name: lost, type: terminal}
transitions:
  - {trigger: heartbeat, source: connected, dest: connected}
`)
		s := m.Create(nil, engine.WithClock(engine.NewManualClock(t0)))
		s.Advance(20 * time.Second)
		s.Send("heartbeat", nil)
		s.Advance(25 * time.Second)
		if s.State() != "connected" {
			t.Errorf("state %q at 45s, want connected (the heartbeat at 20s moved the timeout to 50s)", s.State())
		}
		s.Advance(5 * time.Second)
		if s.State() != "lost" {
			t.Errorf("state %q at 50s, want lost", s.State())
		}
	})

	t.Run("FireDue fires what the clock has reached", func(t *testing.T) {
		clock := engine.NewManualClock(t0)
		s := mustLoad(t, orderYAML).Create(nil, engine.WithClock(clock))
		if fired := s.FireDue(); len(fired) != 0 {
			t.Errorf("fired %v before the timeout", targets(fired))
		}
		clock.Advance(time.Minute)
		if got, want := targets(s.FireDue()), []string{"timed_out_ack"}; !reflect.DeepEqual(got, want) {
			t.Errorf("fired %v, want %v", got, want)
		}
	})

	t.Run("a session without a clock runs on a virtual one", func(t *testing.T) {
		s := mustLoad(t, orderYAML).Create(nil)
		if fired, err := s.Advance(5 * time.Second); err != nil || len(fired) != 1 || s.State() != "timed_out_ack" {
			t.Errorf("Advance: %v %v, state %q", targets(fired), err, s.State())
		}
	})
}

func TestAdvanceNeedsManualClock(t *testing.T) {
	s := mustLoad(t, orderYAML).Create(nil, engine.WithClock(engine.ClockFunc(time.Now)))
	if _, err := s.Advance(time.Second); !errors.Is(err, engine.ErrNotManualClock) {
		t.Errorf("Advance: err = %v, want ErrNotManualClock", err)
	}
	if _, err := s.AdvanceToNext(); !errors.Is(err, engine.ErrNotManualClock) {
		t.Errorf("AdvanceToNext: err = %v, want ErrNotManualClock", err)
	}
	if got := s.State(); got != "pending_new" {
		t.Errorf("state %q, want pending_new", got)
	}
}

// TestSnapshotRestore checks that a session continues from its JSON snapshot,
// pending timers included.
func TestSnapshotRestore(t *testing.T) {
	m := loadTestdata(t, "timers.yaml")
	clock := engine.NewManualClock(t0)
	s := m.Create(engine.Context{"job": map[string]any{"id": 7}}, engine.WithClock(clock))
	s.Send("go", nil)
	s.Advance(time.Second)

	raw, err := json.Marshal(s.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(`{
		"snapshot_version": 1, "machine": "timers", "version": "0.0.0", "state": "warming",
		"context": {"job": {"id": 7}}, "entered_at": "2026-01-02T09:00:00Z", "history_len": 1,
		"timers": [
			{"trigger": "_timeout", "after_ms": 1500, "kind": "timeout", "state": "warming", "due": "2026-01-02T09:00:01.5Z"},
			{"trigger": "_timeout", "after_ms": 60000, "kind": "timeout", "state": "busy", "due": "2026-01-02T09:01:00Z"}
		]}`), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot JSON:\n got %s", raw)
	}

	later := engine.NewManualClock(t0.Add(time.Second))
	s2, err := engine.RestoreJSON(m, raw, engine.WithClock(later))
	if err != nil {
		t.Fatal(err)
	}
	if s2.State() != "warming" || !s2.Is("busy") || !reflect.DeepEqual(s2.Context(), engine.Context{"job": map[string]any{"id": 7.0}}) {
		t.Errorf("restored %q %v", s2.State(), s2.Context())
	}
	fired, err := s2.AdvanceToNext()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := targets(fired), []string{"running"}; !reflect.DeepEqual(got, want) {
		t.Errorf("restored timers fired %v, want %v", got, want)
	}
	if got, want := later.Now(), t0.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Errorf("the restored warming timeout fired at %v, want %v", got, want)
	}
	if h := s2.History(); len(h) != 1 || h[0].Seq != 2 {
		t.Errorf("history after restore: %+v, want one step with seq 2", h)
	}
	if got := s2.Snapshot().HistoryLen; got != 2 {
		t.Errorf("history_len = %d, want 2", got)
	}
}

func TestRestoreRefuses(t *testing.T) {
	m := mustLoad(t, orderYAML)
	other := loadTestdata(t, "timers.yaml")
	good := m.Create(nil).Snapshot()
	tests := []struct {
		name string
		m    *engine.Machine
		snap func() engine.Snapshot
	}{
		{name: "another machine", m: other, snap: func() engine.Snapshot { return good }},
		{name: "an unknown state", m: m, snap: func() engine.Snapshot { s := good; s.State = "vanished"; return s }},
		{name: "a bad configuration", m: loadTestdata(t, "parallel.yaml"), snap: func() engine.Snapshot {
			return engine.Snapshot{SnapshotVersion: 1, Machine: "desk", State: "active:trading=scanning"}
		}},
		{name: "a future snapshot version", m: m, snap: func() engine.Snapshot { s := good; s.SnapshotVersion = 2; return s }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := engine.Restore(tc.m, tc.snap())
			if s != nil || !errors.Is(err, engine.ErrSnapshot) {
				t.Errorf("Restore = %v, %v; want ErrSnapshot", s, err)
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		if _, err := engine.RestoreJSON(m, []byte("{")); !errors.Is(err, engine.ErrSnapshot) {
			t.Errorf("err = %v, want ErrSnapshot", err)
		}
	})
}

func TestSessionGuardValues(t *testing.T) {
	m := mustLoad(t, "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b, guards: [approved]}\n")
	tests := []struct {
		name   string
		opts   []engine.SessionOption
		want   string
		wantOK bool
	}{
		{name: "no values: guard_not_found", want: "a"},
		{name: "a false value", opts: []engine.SessionOption{engine.WithGuardValues(engine.GuardValues{"approved": false})}, want: "a"},
		{name: "a true value", opts: []engine.SessionOption{engine.WithGuardValues(engine.GuardValues{"approved": true})}, want: "b", wantOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := m.Create(nil, tc.opts...)
			res := s.Send("go", nil)
			if res.Success != tc.wantOK || s.State() != tc.want {
				t.Errorf("got %v %q, want %v %q", res.Success, s.State(), tc.wantOK, tc.want)
			}
		})
	}
}

// TestSessionConcurrent sends events from many goroutines (run with -race).
func TestSessionConcurrent(t *testing.T) {
	m := mustLoad(t, `states:
  - {name: a, type: initial}
  - {name: b}
transitions:
  - {trigger: flip, source: a, dest: b}
  - {trigger: flip, source: b, dest: a}
`)
	s := m.Create(engine.Context{})
	const workers, each = 8, 50
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s.Send("flip", engine.Payload{fmt.Sprintf("w%d", w): i})
				_ = s.State()
				_ = s.Snapshot()
			}
		}(w)
	}
	wg.Wait()
	h := s.History()
	if len(h) != workers*each {
		t.Fatalf("history has %d steps, want %d", len(h), workers*each)
	}
	for i, st := range h {
		if st.Seq != i+1 || !st.Success {
			t.Fatalf("step %d: %+v", i, st)
		}
		if i > 0 && st.From != h[i-1].To {
			t.Fatalf("step %d starts at %q, the previous one ended at %q", i, st.From, h[i-1].To)
		}
	}
	if got, want := s.State(), "a"; got != want {
		t.Errorf("state after an even number of flips = %q, want %q", got, want)
	}
	if got := len(s.Context()); got != workers {
		t.Errorf("context has %d keys, want %d", got, workers)
	}
}
