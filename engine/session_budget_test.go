package engine_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
)

// pingPongYAML hands over between two states every millisecond.
const pingPongYAML = `meta: {machine_name: ping_pong}
states:
  - {name: a, type: initial}
  - {name: b}
  - {name: c, type: terminal}
transitions:
  - {trigger: tick, source: a, dest: b, after: 1}
  - {trigger: tock, source: b, dest: a, after: 1}
  - {trigger: stop, source: [a, b], dest: c}
`

// TestAdvanceBounded: a bounded advance fires at most its budget of timers;
// when timers are still due, the clock stays at the last one fired and the
// error says the budget ran out.
func TestAdvanceBounded(t *testing.T) {
	m, _, err := engine.Load([]byte(pingPongYAML))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		advance   func(s *engine.Session) (int, error)
		wantFired int
		wantErr   error
		wantClock time.Duration
		wantState string
	}{
		{"within the budget", func(s *engine.Session) (int, error) { return s.AdvanceBounded(10*time.Millisecond, 100) }, 10, nil, 10 * time.Millisecond, "a"},
		{"exactly the budget", func(s *engine.Session) (int, error) { return s.AdvanceBounded(10*time.Millisecond, 10) }, 10, nil, 10 * time.Millisecond, "a"},
		{"past the budget", func(s *engine.Session) (int, error) { return s.AdvanceBounded(time.Hour, 7) }, 7, engine.ErrTimerBudget, 7 * time.Millisecond, "b"},
		{"a budget of 0 with a timer due", func(s *engine.Session) (int, error) { return s.AdvanceBounded(time.Hour, 0) }, 0, engine.ErrTimerBudget, 0, "a"},
		{"a budget of 0 with none due", func(s *engine.Session) (int, error) { return s.AdvanceBounded(time.Microsecond, 0) }, 0, nil, time.Microsecond, "a"},
		{"10^12 ms with the default budget", func(s *engine.Session) (int, error) { return s.AdvanceBounded(1e12*time.Millisecond, 10000) }, 10000, engine.ErrTimerBudget, 10000 * time.Millisecond, "a"},
		{"next timer", func(s *engine.Session) (int, error) { return s.AdvanceToNextBounded(5) }, 1, nil, time.Millisecond, "b"},
		{"next timer with no budget", func(s *engine.Session) (int, error) { return s.AdvanceToNextBounded(0) }, 0, engine.ErrTimerBudget, 0, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := engine.NewManualClock(t0)
			s := m.Create(nil, engine.WithClock(clock))
			fired, err := tc.advance(s)
			if fired != tc.wantFired || !errors.Is(err, tc.wantErr) {
				t.Errorf("fired %d, %v; want %d, %v", fired, err, tc.wantFired, tc.wantErr)
			}
			if got := clock.Now().Sub(t0); got != tc.wantClock {
				t.Errorf("clock at %s, want %s", got, tc.wantClock)
			}
			if got := s.State(); got != tc.wantState {
				t.Errorf("state %s, want %s", got, tc.wantState)
			}
			if got := len(s.History()); got != fired {
				t.Errorf("%d history steps for %d timers fired", got, fired)
			}
		})
	}
}

// TestAdvanceBoundedNeedsManualClock: a real clock cannot be moved.
func TestAdvanceBoundedNeedsManualClock(t *testing.T) {
	m, _, err := engine.Load([]byte(pingPongYAML))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Create(nil, engine.WithClock(engine.ClockFunc(time.Now)))
	if _, err := s.AdvanceBounded(time.Second, 10); !errors.Is(err, engine.ErrNotManualClock) {
		t.Errorf("AdvanceBounded: %v", err)
	}
	if _, err := s.AdvanceToNextBounded(10); !errors.Is(err, engine.ErrNotManualClock) {
		t.Errorf("AdvanceToNextBounded: %v", err)
	}
}

// TestHistorySince: the steps from an index on, copied.
func TestHistorySince(t *testing.T) {
	m, _, err := engine.Load([]byte(pingPongYAML))
	if err != nil {
		t.Fatal(err)
	}
	s := m.Create(nil, engine.WithClock(engine.NewManualClock(t0)))
	if _, err := s.AdvanceBounded(3*time.Millisecond, 10); err != nil {
		t.Fatal(err)
	}
	s.Send("stop", nil)
	tests := []struct {
		name string
		from int
		want []string
	}{
		{"all", 0, []string{"tick", "tock", "tick", "stop"}},
		{"the last two", 2, []string{"tick", "stop"}},
		{"past the end", 9, nil},
		{"negative is all", -1, []string{"tick", "tock", "tick", "stop"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, st := range s.HistorySince(tc.from) {
				got = append(got, st.Trigger)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	h := s.HistorySince(0)
	h[0].Trigger = "changed"
	if s.History()[0].Trigger != "tick" {
		t.Error("HistorySince shares the session's history")
	}
}
