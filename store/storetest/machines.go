package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

func testMachineRevisions(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, orderYAML)
	if m.Name != "order_management" || m.Version != "1.0.0" || m.Revision != 1 {
		t.Fatalf("got %+v", m)
	}
	if _, err := s.CreateMachine(ctx, orderYAML); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create: got %v, want ErrConflict", err)
	}
	e := mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID})
	same, err := s.UpdateMachine(ctx, m.ID, orderYAML)
	if err != nil || same.Revision != 1 {
		t.Fatalf("identical text: %+v, err %v; want revision 1", same, err)
	}
	edited := orderYAML + "\n  - {trigger: reopen, source: canceled, dest: open}\n"
	if _, err := s.UpdateMachine(ctx, m.ID, edited); !errors.Is(err, engine.ErrInvalidMachine) {
		t.Fatalf("a transition out of a terminal state: got %v, want ErrInvalidMachine", err)
	}
	edited = orderYAML + "\n  - {trigger: amend, source: open, dest: open}\n"
	m2, err := s.SaveMachine(ctx, m.ID, edited, store.SaveOptions{Author: "ada"})
	if err != nil || m2.Revision != 2 {
		t.Fatalf("edit: %+v, err %v; want revision 2", m2, err)
	}
	revs, err := s.Revisions(ctx, m.ID)
	if err != nil || len(revs) != 2 || revs[0].Revision != 2 || revs[0].Author != "ada" || revs[1].Revision != 1 {
		t.Fatalf("revisions %+v %v", revs, err)
	}
	old, err := s.MachineAt(ctx, m.ID, 1)
	if err != nil || old.YAML != orderYAML || old.Revision != 1 {
		t.Fatalf("revision 1: %+v %v", old, err)
	}
	if _, err := s.MachineAt(ctx, m.ID, 9); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revision 9: %v, want ErrNotFound", err)
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
	e2 := mustEntity(t, s, store.NewEntity{MachineName: "order_management"})
	if e2.Revision != 2 {
		t.Fatalf("new entity: %+v", e2)
	}
	err = s.DeleteMachine(ctx, m.ID, false)
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.ECONFLICT || !strings.Contains(se.Message, "2 entities") {
		t.Fatalf("delete with entities: got %v, want a conflict naming 2 entities", err)
	}
	if err := s.DeleteMachine(ctx, m.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEntity(ctx, e.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("entity after cascade delete: %v", err)
	}
	if _, err := s.GetMachine(ctx, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("machine after delete: %v", err)
	}
}

// testSaveBaseRevision: a save based on a revision that is no longer the head
// is refused with the head's number and writes nothing (SPEC 6).
func testSaveBaseRevision(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, orderYAML)
	a := strings.Replace(orderYAML, `description: "Order lifecycle`, `description: "A: order lifecycle`, 1)
	b := strings.Replace(orderYAML, `description: "Order lifecycle`, `description: "B: order lifecycle`, 1)
	if a == orderYAML || b == orderYAML {
		t.Fatal("the test machine's description changed; update the test")
	}
	if _, err := s.SaveMachine(ctx, m.ID, a, store.SaveOptions{BaseRevision: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := s.SaveMachine(ctx, m.ID, b, store.SaveOptions{BaseRevision: 1})
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.ECONFLICT || se.Fields["head_revision"] != 2 {
		t.Fatalf("save on a moved head: got %#v, want a conflict with head_revision 2", err)
	}
	head, _ := s.GetMachine(ctx, m.ID)
	if head.Revision != 2 || head.YAML != a {
		t.Fatalf("head %d: the refused save wrote something", head.Revision)
	}
	if _, err := s.SaveMachine(ctx, m.ID, b, store.SaveOptions{BaseRevision: 2}); err != nil {
		t.Fatalf("save on the head: %v", err)
	}
	if _, err := s.SaveMachine(ctx, "nope", b, store.SaveOptions{}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("save of an unknown machine: %v", err)
	}
}

func testListAndStats(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	m := mustMachine(t, s, orderYAML)
	for _, id := range []string{"a", "b", "c"} {
		mustEntity(t, s, store.NewEntity{ID: id, MachineID: m.ID})
	}
	if _, err := s.SendEvent(ctx, "a", store.Event{Trigger: "exchange_ack"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendEvent(ctx, "b", store.Event{Trigger: "exchange_nack"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 3 || st.Live != 2 || st.Counts["pending_new"] != 1 || st.Counts["open"] != 1 || st.Counts["rejected"] != 1 {
		t.Errorf("stats %+v", st)
	}
	list, err := s.ListMachines(ctx)
	if err != nil || len(list) != 1 || list[0].Entities != 3 {
		t.Fatalf("machines %+v %v", list, err)
	}
	es, err := s.ListEntities(ctx, store.EntityFilter{MachineID: m.ID, State: "pending_new"})
	if err != nil || len(es) != 1 || es[0].ID != "c" {
		t.Fatalf("pending_new entities %+v %v", es, err)
	}
	es, err = s.ListEntities(ctx, store.EntityFilter{MachineID: m.ID, Limit: 2})
	if err != nil || len(es) != 2 {
		t.Fatalf("first page %+v %v", es, err)
	}
	es, err = s.ListEntities(ctx, store.EntityFilter{MachineID: m.ID, State: "no_such_state"})
	if err != nil || len(es) != 0 {
		t.Fatalf("unknown state %+v %v", es, err)
	}
	if _, err := s.Stats(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("stats of an unknown machine: %v", err)
	}
}

func testShares(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	sh, err := s.CreateShare(ctx, "meta: {}", []byte(`{"steps":[1]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetShare(ctx, sh.ID)
	if err != nil || got.YAML != "meta: {}" || string(got.Trace) != `{"steps":[1]}` {
		t.Fatalf("%+v %v", got, err)
	}
	again, err := s.CreateShare(ctx, "meta: {}", []byte(`{"steps":[1]}`))
	if err != nil || again.ID != sh.ID {
		t.Fatalf("the same content gave id %q then %q (err %v); want the same share", sh.ID, again.ID, err)
	}
	other, err := s.CreateShare(ctx, "meta: {}", nil)
	if err != nil || other.ID == sh.ID {
		t.Fatalf("another trace gave the same id %q (err %v)", other.ID, err)
	}
	if _, err := s.GetShare(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 900<<10)
	if _, err := s.CreateShare(ctx, big, nil); !errors.Is(err, store.ErrTooLarge) {
		t.Fatalf("a 900 KiB share: %v, want ErrTooLarge", err)
	}
	if _, err := s.CreateShare(ctx, "meta: {}", []byte(`{"steps": [`)); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("a broken trace: %v, want ErrInvalid", err)
	}
	// a trace may nest a 32-deep payload in its steps, and no deeper
	deep := func(d int) []byte {
		payload := strings.Repeat(`{"a":`, d) + "1" + strings.Repeat("}", d)
		return []byte(`{"steps": [{"kind": "event", "payload": ` + payload + `}]}`)
	}
	if _, err := s.CreateShare(ctx, "meta: {}", deep(32)); err != nil {
		t.Fatalf("a trace with a 32-deep payload: %v", err)
	}
	for _, d := range []int{33, 9000} {
		if _, err := s.CreateShare(ctx, "meta: {}", deep(d)); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("a trace with a %d-deep payload: %v, want ErrInvalid", d, err)
		}
	}
}

func testReady(t *testing.T, open Opener) {
	s := newStore(t, open, "db", engine.NewManualClock(t0), false)
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("a fresh store is not ready: %v", err)
	}
}
