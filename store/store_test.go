package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func openStore(t *testing.T, path string, clock engine.Clock, scheduler bool) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.Options{Clock: clock, NoScheduler: !scheduler})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func orderYAML(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../web/examples/order_management.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestMachineRevisions(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), engine.NewManualClock(t0), false)
	text := orderYAML(t)
	m, err := s.CreateMachine(ctx, text)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "order_management" || m.Version != "1.0.0" || m.Revision != 1 {
		t.Fatalf("got %+v", m)
	}
	if _, err := s.CreateMachine(ctx, text); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create: got %v, want ErrConflict", err)
	}
	e, err := s.CreateEntity(ctx, store.NewEntity{ID: "o-1", MachineID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	same, err := s.UpdateMachine(ctx, m.ID, text)
	if err != nil || same.Revision != 1 {
		t.Fatalf("identical text: revision %d, err %v; want 1", same.Revision, err)
	}
	edited := text + "\n  - {trigger: reopen, source: canceled, dest: open}\n"
	if _, err := s.UpdateMachine(ctx, m.ID, edited); err == nil {
		t.Fatal("a transition out of a terminal state must be refused")
	} else if !errors.Is(err, engine.ErrInvalidMachine) {
		t.Fatalf("got %v, want ErrInvalidMachine", err)
	}
	edited = text + "\n  - {trigger: amend, source: open, dest: open}\n"
	m2, err := s.UpdateMachine(ctx, m.ID, edited)
	if err != nil || m2.Revision != 2 {
		t.Fatalf("edit: revision %v, err %v; want 2", m2, err)
	}
	// the running entity stays on revision 1, where amend does not exist
	out, err := s.SendEvent(ctx, e.ID, store.Event{Trigger: "exchange_ack"})
	if err != nil || out.Entity.Revision != 1 {
		t.Fatalf("ack: %v %+v", err, out)
	}
	out, err = s.SendEvent(ctx, e.ID, store.Event{Trigger: "amend"})
	if err != nil || out.Result.Success || out.Result.Error.Code != "undefined_trigger" {
		t.Fatalf("amend on revision 1: %+v %v", out.Result, err)
	}
	// a new entity uses revision 2
	e2, err := s.CreateEntity(ctx, store.NewEntity{MachineName: "order_management"})
	if err != nil || e2.Revision != 2 {
		t.Fatalf("new entity: %+v %v", e2, err)
	}
	if err := s.DeleteMachine(ctx, m.ID, false); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete with entities: got %v, want ErrConflict", err)
	}
	if err := s.DeleteMachine(ctx, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEntity(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("entity after cascade delete: %v", err)
	}
}

func TestEventsAndHistory(t *testing.T) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), clock, false)
	m, err := s.CreateMachine(ctx, orderYAML(t))
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.CreateEntity(ctx, store.NewEntity{ID: "o-1", MachineID: m.ID, Context: engine.Context{"order_qty": 100.0}})
	if err != nil {
		t.Fatal(err)
	}
	if e.State != "pending_new" || len(e.Timers) != 1 || e.Timers[0].Trigger != "_timeout" || !e.Timers[0].DueAt.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("created: %+v", e)
	}
	steps := []struct {
		trigger string
		payload engine.Context
		want    string
		ok      bool
	}{
		{"exchange_ack", nil, "open", true},
		{"execution_report", engine.Context{"fill_qty": 50.0}, "partially_filled", true},
		{"cancel_request", engine.Context{"in_flight": true}, "partially_filled", false},
		{"execution_report", engine.Context{"fill_qty": 100.0}, "filled", true},
	}
	for _, st := range steps {
		clock.Advance(time.Second)
		out, err := s.SendEvent(ctx, "o-1", store.Event{Trigger: st.trigger, Payload: st.payload})
		if err != nil {
			t.Fatal(err)
		}
		if out.Result.Success != st.ok || out.Entity.State != st.want {
			t.Fatalf("%s: success %v state %q, want %v %q", st.trigger, out.Result.Success, out.Entity.State, st.ok, st.want)
		}
	}
	got, err := s.GetEntity(ctx, "o-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Context["fill_qty"] != 100.0 || got.Context["in_flight"] != nil {
		t.Errorf("context %v: want fill_qty 100 and no in_flight (refused payloads are not merged)", got.Context)
	}
	if len(got.Timers) != 0 {
		t.Errorf("timers %v: the ack timeout must be cancelled when pending_new is left", got.Timers)
	}
	if got.Version != 4 {
		t.Errorf("version %d, want 4 (created + 3 accepted events)", got.Version)
	}
	h, err := s.History(ctx, "o-1")
	if err != nil {
		t.Fatal(err)
	}
	wantTriggers := []string{store.CreatedTrigger, "exchange_ack", "execution_report", "cancel_request", "execution_report"}
	if len(h) != len(wantTriggers) {
		t.Fatalf("history has %d rows, want %d", len(h), len(wantTriggers))
	}
	for i, w := range wantTriggers {
		if h[i].Seq != i+1 || h[i].Trigger != w {
			t.Errorf("history[%d] = %d %s, want %d %s", i, h[i].Seq, h[i].Trigger, i+1, w)
		}
	}
	if h[3].Success || h[3].Error == nil || h[3].Error.Code != "guard_rejected" {
		t.Errorf("refused event row: %+v", h[3])
	}
	st, err := s.Stats(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 1 || st.Live != 0 || st.Counts["filled"] != 1 {
		t.Errorf("stats %+v", st)
	}
	if _, err := s.SendEvent(ctx, "nope", store.Event{Trigger: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown entity: %v", err)
	}
}

func TestIdempotency(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), engine.NewManualClock(t0), false)
	m, _ := s.CreateMachine(ctx, orderYAML(t))
	if _, err := s.CreateEntity(ctx, store.NewEntity{ID: "o-1", MachineID: m.ID}); err != nil {
		t.Fatal(err)
	}
	first, err := s.SendEvent(ctx, "o-1", store.Event{Trigger: "exchange_ack", IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.SendEvent(ctx, "o-1", store.Event{Trigger: "exchange_ack", IdempotencyKey: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || !again.Result.Success || again.Entity.Version != first.Entity.Version || again.Result.TargetState != "open" {
		t.Fatalf("replay = %+v, want the first answer", again)
	}
	h, _ := s.History(ctx, "o-1")
	if len(h) != 2 {
		t.Fatalf("history has %d rows, want 2: a replay writes nothing", len(h))
	}
	// the same key on another entity is a different event
	s.CreateEntity(ctx, store.NewEntity{ID: "o-2", MachineID: m.ID})
	other, err := s.SendEvent(ctx, "o-2", store.Event{Trigger: "exchange_ack", IdempotencyKey: "k1"})
	if err != nil || other.Replayed {
		t.Fatalf("other entity: %+v %v", other, err)
	}
}

// TestConcurrentEventsOneEntity: 50 goroutines send to one entity; every event
// is in the history and the version counts them all.
func TestConcurrentEventsOneEntity(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), engine.ClockFunc(time.Now), false)
	m, err := s.CreateMachine(ctx, `
meta: {machine_name: counter, strict_mode: false}
states:
  - {name: idle, type: initial}
transitions:
  - {trigger: bump, source: idle, dest: idle, actions: [count]}
`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEntity(ctx, store.NewEntity{ID: "c", MachineID: m.ID}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 50, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				_, err := s.SendEvent(ctx, "c", store.Event{Trigger: "bump", Payload: engine.Context{fmt.Sprintf("w%d", w): float64(i)}})
				if err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	e, err := s.GetEntity(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != 1+workers*each {
		t.Errorf("version %d, want %d", e.Version, 1+workers*each)
	}
	for w := 0; w < workers; w++ {
		if got := e.Context[fmt.Sprintf("w%d", w)]; got != float64(each-1) {
			t.Errorf("context w%d = %v, want %d: an update was lost", w, got, each-1)
		}
	}
	h, _ := s.History(ctx, "c")
	if len(h) != 1+workers*each {
		t.Fatalf("history has %d rows, want %d", len(h), 1+workers*each)
	}
	for i, row := range h {
		if row.Seq != i+1 {
			t.Fatalf("history[%d].seq = %d", i, row.Seq)
		}
	}
}

// TestTimerDueWhileStopped: a timer that came due while the store was closed
// fires when it opens again, once.
func TestTimerDueWhileStopped(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	clock := engine.NewManualClock(t0)
	s, err := store.Open(ctx, path, store.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.CreateMachine(ctx, orderYAML(t))
	if _, err := s.CreateEntity(ctx, store.NewEntity{ID: "o-1", MachineID: m.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // the 5 s ack timeout passes while stopped
	s2 := openStore(t, path, clock, true)
	e := waitForState(t, s2, "o-1", "timed_out_ack")
	if len(e.Timers) != 0 {
		t.Errorf("timers after firing: %v", e.Timers)
	}
	h, _ := s2.History(ctx, "o-1")
	if len(h) != 2 || h[1].Trigger != "_timeout" || !h[1].ByTimer || !h[1].Success {
		t.Fatalf("history %+v: want one _timeout row fired by the timer", h)
	}
}

// TestTimerCancelledOnExit: a timer of a state the entity left never fires.
func TestTimerCancelledOnExit(t *testing.T) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), clock, false)
	m, _ := s.CreateMachine(ctx, orderYAML(t))
	e, _ := s.CreateEntity(ctx, store.NewEntity{ID: "o-1", MachineID: m.ID})
	stale := e.Timers[0]
	if _, err := s.SendEvent(ctx, "o-1", store.Event{Trigger: "exchange_ack"}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	out, err := s.FireTimer(ctx, stale)
	if err != nil || out != nil {
		t.Fatalf("firing a cancelled timer: %+v %v, want nothing", out, err)
	}
	due, _ := s.DueTimers(ctx, clock.Now(), 10)
	if len(due) != 0 {
		t.Fatalf("due timers %v", due)
	}
}

func waitForState(t *testing.T, s *store.Store, id, want string) *store.Entity {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
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

func TestShares(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"), engine.NewManualClock(t0), false)
	sh, err := s.CreateShare(ctx, "meta: {}", []byte(`{"steps":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetShare(ctx, sh.ID)
	if err != nil || got.YAML != "meta: {}" || string(got.Trace) != `{"steps":[1]}` {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := s.GetShare(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}
