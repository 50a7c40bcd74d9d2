package storetest

import (
	"context"
	"fmt"
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

// testEventTimers checks the entity's timers in each answer, whether the
// active states arm timers or not.
func testEventTimers(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := newStore(t, open, "db", clock, false)
	m := mustMachine(t, s, timersMachine)
	mustEntity(t, s, store.NewEntity{ID: "e", MachineID: m.ID})
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
			if out.Entity.State != tc.state || fmt.Sprint(got) != fmt.Sprint(tc.timers) {
				t.Fatalf("state %q timers %v, want %q %v", out.Entity.State, got, tc.state, tc.timers)
			}
			stored, err := s.GetEntity(ctx, "e")
			if err != nil {
				t.Fatal(err)
			}
			if len(stored.Timers) != len(tc.timers) {
				t.Fatalf("stored timers %v, want %v", stored.Timers, tc.timers)
			}
			for i := range stored.Timers {
				if stored.Timers[i].ID != out.Entity.Timers[i].ID || stored.Timers[i].ID == 0 {
					t.Fatalf("timer ids: answered %+v, stored %+v", out.Entity.Timers, stored.Timers)
				}
			}
		})
	}
}

// testTimerDueWhileStopped: a timer that came due while the store was closed
// fires when it opens again, once.
func testTimerDueWhileStopped(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := store.New(open(t, "db"), store.Options{Clock: clock})
	m := mustMachine(t, s, orderYAML)
	mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // the 5 s ack timeout passes while stopped
	s2 := newStore(t, open, "db", clock, true)
	e := waitForState(t, s2, "o-1", "timed_out_ack")
	if len(e.Timers) != 0 {
		t.Errorf("timers after firing: %v", e.Timers)
	}
	h := history(t, s2, "o-1")
	if len(h) != 2 || h[1].Trigger != "_timeout" || !h[1].ByTimer || !h[1].Success || h[1].Actor != store.SchedulerActor {
		t.Fatalf("history %+v: want one _timeout row fired by the scheduler", h)
	}
	_ = ctx
}

// testTimerCancelledOnExit: a timer of a state the entity left never fires.
func testTimerCancelledOnExit(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := newStore(t, open, "db", clock, false)
	m := mustMachine(t, s, orderYAML)
	e := mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID})
	stale := e.Timers[0]
	if _, err := s.SendEvent(ctx, "o-1", store.Event{Trigger: "exchange_ack"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	out, err := s.FireTimer(ctx, stale)
	if err != nil || out != nil {
		t.Fatalf("firing a cancelled timer: %+v %v, want nothing", out, err)
	}
	n, err := s.FireDue(ctx)
	if err != nil || n != 0 {
		t.Fatalf("fired %d timers (%v), want none", n, err)
	}
	if p, _ := s.PendingTimers(ctx); p != 0 {
		t.Fatalf("%d timers pending", p)
	}
}

// testTimerLeaseOfDeadInstance: an instance claims a due timer and dies
// before firing it; another instance fires it once the lease has expired,
// not before.
func testTimerLeaseOfDeadInstance(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	backend := open(t, "db")
	s := store.New(backend, store.Options{Clock: clock, NoScheduler: true, Lease: 10 * time.Second})
	t.Cleanup(func() { s.Close() })
	m := mustMachine(t, s, orderYAML)
	mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID})
	clock.Advance(6 * time.Second)
	claimed, err := open(t, "db").ClaimTimers(ctx, clock.Now(), clock.Now().Add(10*time.Second), 10) // the instance that dies
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %v, %v", claimed, err)
	}
	if n, err := s.FireDue(ctx); err != nil || n != 0 {
		t.Fatalf("fired %d (%v) while another instance holds the lease", n, err)
	}
	clock.Advance(11 * time.Second)
	if n, err := s.FireDue(ctx); err != nil || n != 1 {
		t.Fatalf("fired %d (%v) after the lease expired, want 1", n, err)
	}
	// the dead instance's late firing (it was only slow) does nothing
	if out, err := s.FireTimer(ctx, claimed[0]); err != nil || out != nil {
		t.Fatalf("the late firing: %+v %v", out, err)
	}
	h := history(t, s, "o-1")
	if len(h) != 2 || h[1].Trigger != "_timeout" {
		t.Fatalf("history %+v: want exactly one _timeout", h)
	}
}

// testTimersFireOnceWithTwoInstances: two schedulers on one database fire
// 50 due timers exactly once between them.
func testTimersFireOnceWithTwoInstances(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	a := newStore(t, open, "db", clock, false)
	m := mustMachine(t, a, orderYAML)
	const n = 50
	for i := 0; i < n; i++ {
		mustEntity(t, a, store.NewEntity{ID: fmt.Sprint("o-", i), MachineID: m.ID})
	}
	clock.Advance(time.Minute)
	b := newStore(t, open, "db", clock, false)
	done := make(chan int, 2)
	for _, s := range []*store.Store{a, b} {
		go func(s *store.Store) {
			k, err := s.FireDue(ctx)
			if err != nil {
				t.Error(err)
			}
			done <- k
		}(s)
	}
	total := <-done + <-done
	if total != n {
		t.Errorf("fired %d timers in all, want %d", total, n)
	}
	for i := 0; i < n; i++ {
		h := history(t, a, fmt.Sprint("o-", i))
		if len(h) != 2 || h[1].Trigger != "_timeout" {
			t.Fatalf("o-%d history %+v: want one _timeout", i, h)
		}
	}
}
