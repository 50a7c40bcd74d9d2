// Package storetest is the contract of the store: every test of the store's
// behaviour, run against each database adapter (store/sqlite,
// store/postgres) by that adapter's own test with a real database.
package storetest

import (
	"context"
	_ "embed"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// Opener opens the backend of the database called name, creating it empty
// the first time a test asks for that name; asking again for the same name
// (in the same test) opens the same database again, as a restarted server or
// a second instance would.
type Opener func(t testing.TB, name string) store.Backend

//go:embed testdata/order.yaml
var orderYAML string

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Run runs the whole contract against one adapter.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"MachineRevisions", testMachineRevisions},
		{"SaveBaseRevision", testSaveBaseRevision},
		{"EventsAndHistory", testEventsAndHistory},
		{"HistoryPages", testHistoryPages},
		{"Idempotency", testIdempotency},
		{"IdempotencyKeyReused", testIdempotencyKeyReused},
		{"IdempotentAnswerDoesNotGrow", testIdempotentAnswerDoesNotGrow},
		{"ContextTooLarge", testContextTooLarge},
		{"ConcurrentEventsOneEntity", testConcurrentEventsOneEntity},
		{"TwoInstancesOneEntity", testTwoInstancesOneEntity},
		{"EventTimers", testEventTimers},
		{"TimerDueWhileStopped", testTimerDueWhileStopped},
		{"TimerCancelledOnExit", testTimerCancelledOnExit},
		{"TimerLeaseOfDeadInstance", testTimerLeaseOfDeadInstance},
		{"TimersFireOnceWithTwoInstances", testTimersFireOnceWithTwoInstances},
		{"EntityIDs", testEntityIDs},
		{"ListAndStats", testListAndStats},
		{"Shares", testShares},
		{"Ready", testReady},
		{"Users", testUsers},
		{"LogIn", testLogIn},
		{"SessionExpiry", testSessionExpiry},
		{"LastAdmin", testLastAdmin},
		{"RemovedUser", testRemovedUser},
		{"ResetPassword", testResetPassword},
		{"Tokens", testTokens},
		{"LogInThrottle", testLogInThrottle},
		{"ConcurrentLogIns", testConcurrentLogIns},
		{"Actors", testActors},
		{"HasUsers", testHasUsers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// newStore opens a store on database name; the scheduler runs when asked.
func newStore(t testing.TB, open Opener, name string, clock engine.Clock, scheduler bool) *store.Store {
	t.Helper()
	s := store.New(open(t, name), store.Options{Clock: clock, NoScheduler: !scheduler, PollInterval: 50 * time.Millisecond})
	t.Cleanup(func() { s.Close() })
	return s
}

func mustMachine(t testing.TB, s *store.Store, text string) *store.Machine {
	t.Helper()
	m, err := s.CreateMachine(context.Background(), text)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustEntity(t testing.TB, s *store.Store, ne store.NewEntity) *store.Entity {
	t.Helper()
	e, err := s.CreateEntity(context.Background(), ne)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func history(t testing.TB, s *store.Store, id string) []store.HistoryEvent {
	t.Helper()
	var all []store.HistoryEvent
	after := 0
	for {
		p, err := s.History(context.Background(), id, store.HistoryQuery{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Events...)
		if p.Next == 0 {
			return all
		}
		after = p.Next
	}
}

func waitForState(t testing.TB, s *store.Store, id, want string) *store.Entity {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		e, err := s.GetEntity(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if e.State == want {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("entity %s is %q, still not %q", id, e.State, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
