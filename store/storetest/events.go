package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

func testEventsAndHistory(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := newStore(t, open, "db", clock, false)
	m := mustMachine(t, s, orderYAML)
	e := mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID, Context: engine.Context{"order_qty": 100.0}, Actor: "ada"})
	if e.State != "pending_new" || len(e.Timers) != 1 || e.Timers[0].Trigger != "_timeout" || !e.Timers[0].DueAt.Equal(t0.Add(5*time.Second)) || e.Timers[0].ID == 0 {
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
		out, err := s.SendEvent(ctx, "o-1", store.Event{Trigger: st.trigger, Payload: st.payload, Actor: "bob"})
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
	if got.Version != 4 || got.HistoryLen != 5 {
		t.Errorf("version %d history_len %d, want 4 (created + 3 accepted events) and 5", got.Version, got.HistoryLen)
	}
	h := history(t, s, "o-1")
	wantTriggers := []string{store.CreatedTrigger, "exchange_ack", "execution_report", "cancel_request", "execution_report"}
	if len(h) != len(wantTriggers) {
		t.Fatalf("history has %d rows, want %d", len(h), len(wantTriggers))
	}
	for i, w := range wantTriggers {
		if h[i].Seq != i+1 || h[i].Trigger != w {
			t.Errorf("history[%d] = %d %s, want %d %s", i, h[i].Seq, h[i].Trigger, i+1, w)
		}
	}
	if h[0].Actor != "ada" || h[1].Actor != "bob" {
		t.Errorf("actors %q %q, want ada and bob", h[0].Actor, h[1].Actor)
	}
	if h[3].Success || h[3].Error == nil || h[3].Error.Code != "guard_rejected" {
		t.Errorf("refused event row: %+v", h[3])
	}
	if h[2].Payload["fill_qty"] != 50.0 {
		t.Errorf("payload of row 3: %v", h[2].Payload)
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
	if _, err := s.SendEvent(ctx, "o-1", store.Event{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("no trigger: %v", err)
	}
}

// testHistoryPages: history comes in pages, oldest first or newest first.
func testHistoryPages(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, "meta: {machine_name: ctr, strict_mode: false}\nstates:\n  - {name: idle, type: initial}\ntransitions:\n  - {trigger: bump, source: idle, dest: idle}\n")
	mustEntity(t, s, store.NewEntity{ID: "c", MachineID: m.ID})
	for i := 0; i < 24; i++ {
		if _, err := s.SendEvent(ctx, "c", store.Event{Trigger: "bump"}); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.History(ctx, "c", store.HistoryQuery{Limit: 10})
	if err != nil || len(p.Events) != 10 || p.Events[0].Seq != 1 || p.Next != 10 {
		t.Fatalf("first page: %d rows, next %d, err %v", len(p.Events), p.Next, err)
	}
	p, _ = s.History(ctx, "c", store.HistoryQuery{After: 20, Limit: 10})
	if len(p.Events) != 5 || p.Events[0].Seq != 21 || p.Next != 0 {
		t.Fatalf("last page: %d rows from %d, next %d", len(p.Events), p.Events[0].Seq, p.Next)
	}
	p, _ = s.History(ctx, "c", store.HistoryQuery{Newest: true, Limit: 10})
	if len(p.Events) != 10 || p.Events[0].Seq != 25 || p.Next != 16 {
		t.Fatalf("newest page: %d rows from %d, next %d", len(p.Events), p.Events[0].Seq, p.Next)
	}
	p, _ = s.History(ctx, "c", store.HistoryQuery{Newest: true, Before: 6, Limit: 10})
	if len(p.Events) != 5 || p.Events[0].Seq != 5 || p.Next != 0 {
		t.Fatalf("oldest newest-first page: %d rows from %d, next %d", len(p.Events), p.Events[0].Seq, p.Next)
	}
	if _, err := s.History(ctx, "c", store.HistoryQuery{Limit: 1001}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("limit 1001: %v", err)
	}
	if _, err := s.History(ctx, "nope", store.HistoryQuery{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown entity: %v", err)
	}
}

func testIdempotency(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, orderYAML)
	mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID})
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
	if h := history(t, s, "o-1"); len(h) != 2 || h[1].IdempotencyKey != "k1" {
		t.Fatalf("history %+v: want 2 rows, a replay writes nothing", h)
	}
	// the same key on another entity is a different event
	mustEntity(t, s, store.NewEntity{ID: "o-2", MachineID: m.ID})
	other, err := s.SendEvent(ctx, "o-2", store.Event{Trigger: "exchange_ack", IdempotencyKey: "k1"})
	if err != nil || other.Replayed {
		t.Fatalf("other entity: %+v %v", other, err)
	}
	if _, err := s.SendEvent(ctx, "o-2", store.Event{Trigger: "x", IdempotencyKey: strings.Repeat("k", 257)}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a 257-byte key: %v", err)
	}
}

// testIdempotencyKeyReused: a key used again with another trigger or payload
// is refused; it used to answer with the first request's result.
func testIdempotencyKeyReused(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, orderYAML)
	mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID})
	if _, err := s.SendEvent(ctx, "o-1", store.Event{Trigger: "exchange_ack", IdempotencyKey: "k"}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range []store.Event{
		{Trigger: "cancel_request", IdempotencyKey: "k"},
		{Trigger: "exchange_ack", IdempotencyKey: "k", Payload: engine.Context{"x": 1.0}},
	} {
		_, err := s.SendEvent(ctx, "o-1", ev)
		if !errors.Is(err, store.ErrKeyReused) {
			t.Errorf("%s with payload %v: got %v, want ErrKeyReused", ev.Trigger, ev.Payload, err)
		}
	}
	if h := history(t, s, "o-1"); len(h) != 2 {
		t.Fatalf("history has %d rows, want 2", len(h))
	}
}

// testIdempotentAnswerDoesNotGrow: what a keyed event stores does not grow
// with the entity's context (it used to store the whole entity with every
// keyed event: quadratic growth).
func testIdempotentAnswerDoesNotGrow(t *testing.T, open Opener) {
	ctx := context.Background()
	backend := open(t, "db")
	s := store.New(backend, store.Options{Clock: engine.NewManualClock(t0), NoScheduler: true})
	t.Cleanup(func() { s.Close() })
	m := mustMachine(t, s, "meta: {machine_name: ctr, strict_mode: false}\nstates:\n  - {name: idle, type: initial}\ntransitions:\n  - {trigger: bump, source: idle, dest: idle}\n")
	mustEntity(t, s, store.NewEntity{ID: "c", MachineID: m.ID, Context: engine.Context{"big": strings.Repeat("x", 200<<10)}})
	if _, err := s.SendEvent(ctx, "c", store.Event{Trigger: "bump", IdempotencyKey: "k"}); err != nil {
		t.Fatal(err)
	}
	ans, err := backend.Answer(ctx, "c", "k")
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Response) > 4<<10 {
		t.Fatalf("the stored answer is %d bytes for a 200 KiB context; it must not hold the context", len(ans.Response))
	}
	again, err := s.SendEvent(ctx, "c", store.Event{Trigger: "bump", IdempotencyKey: "k"})
	if err != nil || !again.Replayed || len(again.Entity.Context["big"].(string)) != 200<<10 {
		t.Fatalf("replay %+v %v: want the result and the entity as it is", again, err)
	}
}

// testContextTooLarge: a payload that would make the context larger than its
// limit is refused whole: nothing is stored, not even a history row.
func testContextTooLarge(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, "meta: {machine_name: ctr, strict_mode: false}\nstates:\n  - {name: idle, type: initial}\ntransitions:\n  - {trigger: bump, source: idle, dest: idle}\n")
	mustEntity(t, s, store.NewEntity{ID: "c", MachineID: m.ID})
	chunk := strings.Repeat("y", 100<<10)
	for i := 0; i < 2; i++ {
		if _, err := s.SendEvent(ctx, "c", store.Event{Trigger: "bump", Payload: engine.Context{fmt.Sprint("k", i): chunk}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.SendEvent(ctx, "c", store.Event{Trigger: "bump", Payload: engine.Context{"k2": chunk}})
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.ETOOLARGE || se.Detail != "context_too_large" {
		t.Fatalf("third 100 KiB key: got %v, want context_too_large", err)
	}
	e, _ := s.GetEntity(ctx, "c")
	if e.HistoryLen != 3 || e.Context["k2"] != nil {
		t.Fatalf("history_len %d: the refused event changed the entity", e.HistoryLen)
	}
	if _, err := s.CreateEntity(ctx, store.NewEntity{MachineID: m.ID, Context: engine.Context{"a": chunk, "b": chunk, "c": chunk}}); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("creating with a 300 KiB context: %v", err)
	}
	// a payload that could never fit in a context is refused even on an
	// event that is refused anyway: its history row would keep it
	strict := mustMachine(t, s, "meta: {machine_name: strict_ctr}\nstates:\n  - {name: idle, type: initial}\ntransitions:\n  - {trigger: bump, source: idle, dest: idle}\n")
	mustEntity(t, s, store.NewEntity{ID: "s", MachineID: strict.ID})
	huge := strings.Repeat("z", 300<<10)
	_, err = s.SendEvent(ctx, "s", store.Event{Trigger: "no_such_trigger", Payload: engine.Context{"k": huge}})
	if !errors.As(err, &se) || se.Code != store.ETOOLARGE || se.Detail != "context_too_large" {
		t.Fatalf("a 300 KiB payload on a refused event: got %v, want context_too_large", err)
	}
	if e, _ := s.GetEntity(ctx, "s"); e.HistoryLen != 1 {
		t.Fatalf("history_len %d: the 300 KiB payload was recorded", e.HistoryLen)
	}
}

// testConcurrentEventsOneEntity: 50 goroutines send to one entity; every event
// is in the history and the version counts them all.
func testConcurrentEventsOneEntity(t *testing.T, open Opener) {
	s := newStore(t, open, "db", engine.ClockFunc(time.Now), false)
	concurrentBumps(t, []*store.Store{s}, 50, 10)
}

// testTwoInstancesOneEntity: two stores on one database (two servers) send
// to the same entity at once; the compare-and-swap orders them, nothing is
// lost and the history's sequence has no gap.
func testTwoInstancesOneEntity(t *testing.T, open Opener) {
	a := newStore(t, open, "db", engine.ClockFunc(time.Now), false)
	b := newStore(t, open, "db", engine.ClockFunc(time.Now), false)
	concurrentBumps(t, []*store.Store{a, b}, 20, 10)
}

func concurrentBumps(t *testing.T, stores []*store.Store, workers, each int) {
	ctx := context.Background()
	s := stores[0]
	m := mustMachine(t, s, "meta: {machine_name: counter, strict_mode: false}\nstates:\n  - {name: idle, type: initial}\ntransitions:\n  - {trigger: bump, source: idle, dest: idle, actions: [count]}\n")
	mustEntity(t, s, store.NewEntity{ID: "c", MachineID: m.ID})
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			st := stores[w%len(stores)]
			for i := 0; i < each; i++ {
				_, err := st.SendEvent(ctx, "c", store.Event{Trigger: "bump", Payload: engine.Context{fmt.Sprintf("w%d", w): float64(i)}, IdempotencyKey: fmt.Sprintf("w%d-%d", w, i)})
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
	h := history(t, s, "c")
	if len(h) != 1+workers*each {
		t.Fatalf("history has %d rows, want %d", len(h), 1+workers*each)
	}
	for i, row := range h {
		if row.Seq != i+1 {
			t.Fatalf("history[%d].seq = %d", i, row.Seq)
		}
	}
}

func testEntityIDs(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, orderYAML)
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"letters", "order-1", true},
		{"email and port", "user@x:1", true},
		{"a dot", ".", false},
		{"two dots", "..", false},
		{"a slash", "a/b", false},
		{"a space", "a b", false},
		{"129 characters", strings.Repeat("a", 129), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateEntity(ctx, store.NewEntity{ID: tc.id, MachineID: m.ID})
			if tc.ok && err != nil {
				t.Fatalf("id %q refused: %v", tc.id, err)
			}
			if !tc.ok && !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("id %q: got %v, want ErrInvalid", tc.id, err)
			}
		})
	}
	if _, err := s.CreateEntity(ctx, store.NewEntity{ID: "order-1", MachineID: m.ID}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("an existing id: %v", err)
	}
	if _, err := s.CreateEntity(ctx, store.NewEntity{MachineName: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown machine: %v", err)
	}
	if _, err := s.CreateEntity(ctx, store.NewEntity{MachineID: m.ID, MachineName: "order_management"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("both machine_id and machine_name: %v", err)
	}
}
