package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// timersMachine arms timers in some states only: a timeout on waiting, a
// delayed transition from nested (a child of group), none in idle or done.
const timersMachine = `
meta: {machine_name: timers, strict_mode: false}
states:
  - {name: idle, type: initial}
  - {name: waiting, timeout: {seconds: 5, destination: idle}}
  - {name: group, initial_child: nested}
  - {name: nested, parent: group}
  - {name: done}
transitions:
  - {trigger: wait, source: idle, dest: waiting}
  - {trigger: poke, source: waiting, dest: waiting}
  - {trigger: enter, source: [idle, waiting], dest: group}
  - {after: 2s, source: nested, dest: done}
  - {trigger: finish, source: [group, done], dest: done}
  - {trigger: nothing, source: done, dest: done}
`

// TestEventTimers checks the entity's timers in each answer, whether the
// active states arm timers or not (events in states that arm none skip the
// timers query).
func TestEventTimers(t *testing.T) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), clock, false)
	m, err := s.CreateMachine(ctx, timersMachine)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEntity(ctx, store.NewEntity{ID: "e", MachineID: m.ID}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		trigger string
		state   string
		timers  []string // trigger of each pending timer
	}{
		{"no timer in idle", "unknown_trigger", "idle", nil},
		{"entering waiting arms its timeout", "wait", "waiting", []string{"_timeout"}},
		{"a refused event keeps it", "finish", "waiting", []string{"_timeout"}},
		{"a self-transition re-arms it", "poke", "waiting", []string{"_timeout"}},
		{"leaving waiting cancels it", "enter", "nested", []string{"_after_nested_2000_ms"}},
		{"a no-op inside the group keeps the delayed one", "wait", "nested", []string{"_after_nested_2000_ms"}},
		{"leaving the group cancels it", "finish", "done", nil},
		{"no timer in done", "nothing", "done", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock.Advance(time.Second)
			out, err := s.SendEvent(ctx, "e", store.Event{Trigger: tc.trigger})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tm := range out.Entity.Timers {
				got = append(got, tm.Trigger)
			}
			if out.Entity.State != tc.state || len(got) != len(tc.timers) {
				t.Fatalf("state %q timers %v, want %q %v", out.Entity.State, got, tc.state, tc.timers)
			}
			for i := range got {
				if got[i] != tc.timers[i] {
					t.Fatalf("timers %v, want %v", got, tc.timers)
				}
			}
			stored, err := s.GetEntity(ctx, "e")
			if err != nil {
				t.Fatal(err)
			}
			if len(stored.Timers) != len(tc.timers) {
				t.Fatalf("stored timers %v, want %v", stored.Timers, tc.timers)
			}
		})
	}
}
