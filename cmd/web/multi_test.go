package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/postgres"
	"github.com/statorhq/stator/store/postgres/pgtest"
)

// pgStore opens the test database with the store (no scheduler), to check
// what the servers wrote.
func pgStore(t *testing.T, url string) *store.Store {
	t.Helper()
	pg, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pg, store.Options{NoScheduler: true})
	t.Cleanup(func() { st.Close() })
	return st
}

func fullHistory(t *testing.T, st *store.Store, id string) []store.HistoryEvent {
	t.Helper()
	var all []store.HistoryEvent
	after := 0
	for {
		p, err := st.History(context.Background(), id, store.HistoryQuery{After: after, Limit: 1000})
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

type answer struct {
	code     int
	body     []byte
	replayed bool
}

func send(url string, body any, key string) (answer, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return answer{code: res.StatusCode, body: out, replayed: res.Header.Get("Idempotent-Replayed") == "true"}, err
}

// startPair starts two server processes on one database at the same time:
// they migrate and seed it once between them.
func startPair(t *testing.T, db string) (*child, *child) {
	t.Helper()
	var a, b *child
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = startServer(t, db) }()
	go func() { defer wg.Done(); b = startServer(t, db) }()
	wg.Wait()
	if a == nil || b == nil {
		t.Fatal("an instance did not start")
	}
	return a, b
}

// TestTwoInstancesOnPostgres: two servers on one PostgreSQL database (SPEC
// 13). They start together (one migration, one seeding), events on one
// entity sent through both are all kept in order, and one idempotency key
// sent through both is applied once.
func TestTwoInstancesOnPostgres(t *testing.T) {
	db := pgtest.NewDatabase(t)
	a, b := startPair(t, db)
	st := pgStore(t, db)
	ctx := context.Background()
	ms, err := st.ListMachines(ctx)
	if err != nil || len(ms) != 4 {
		t.Fatalf("seeded machines: %d (%v), want the 4 examples once", len(ms), err)
	}
	if ans, err := send(a.url+"/api/v1/machines", map[string]string{"yaml": counterMachine}, ""); err != nil || ans.code != 201 {
		t.Fatalf("create machine: %+v %v", ans, err)
	}
	if ans, err := send(b.url+"/api/v1/entities", map[string]any{"id": "c", "machine_name": "counter"}, ""); err != nil || ans.code != 201 {
		t.Fatalf("create entity through the other instance: %+v %v", ans, err)
	}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			base := []*child{a, b}[w%2].url
			for i := 0; i < each; i++ {
				ans, err := send(base+"/api/v1/entities/c/events", map[string]any{"trigger": "bump", "payload": map[string]any{fmt.Sprint("w", w): i}}, fmt.Sprintf("w%d-%d", w, i))
				if err != nil || ans.code != 200 {
					errs <- fmt.Sprintf("worker %d event %d: %d %s %v", w, i, ans.code, ans.body, err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	h := fullHistory(t, st, "c")
	if len(h) != 1+workers*each {
		t.Fatalf("history has %d rows, want %d", len(h), 1+workers*each)
	}
	for i, row := range h {
		if row.Seq != i+1 {
			t.Fatalf("history[%d].seq = %d: versions are not contiguous", i, row.Seq)
		}
	}
	e, _ := st.GetEntity(ctx, "c")
	if e.Version != 1+workers*each {
		t.Errorf("version %d, want %d", e.Version, 1+workers*each)
	}

	// one key through both instances at once
	var got [2]answer
	wg.Add(2)
	for i, srv := range []*child{a, b} {
		go func(i int, url string) {
			defer wg.Done()
			got[i], _ = send(url+"/api/v1/entities/c/events", map[string]any{"trigger": "bump"}, "the-same-key")
		}(i, srv.url)
	}
	wg.Wait()
	if got[0].code != 200 || got[1].code != 200 || got[0].replayed == got[1].replayed {
		t.Fatalf("the same key through both: %d (replayed %v) and %d (replayed %v); want one applied and one replayed",
			got[0].code, got[0].replayed, got[1].code, got[1].replayed)
	}
	n := 0
	for _, row := range fullHistory(t, st, "c") {
		if row.IdempotencyKey == "the-same-key" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d history rows carry the key, want 1", n)
	}
}

const blinkMachine = `
meta: {machine_name: blink, version: "1"}
states:
  - {name: on, type: initial, timeout: {seconds: 2, destination: off}}
  - {name: off, type: terminal}
transitions: []
`

// TestTimersFireOnceWhenAnInstanceDies: 100 entities with 2 s timers on two
// instances; just before they are due another "instance" claims half of
// them and dies (its lease is left behind), and one of the two servers is
// killed with SIGKILL. Every timer fires exactly once, within the lease.
func TestTimersFireOnceWhenAnInstanceDies(t *testing.T) {
	db := pgtest.NewDatabase(t)
	a, b := startPair(t, db)
	if ans, err := send(a.url+"/api/v1/machines", map[string]string{"yaml": blinkMachine}, ""); err != nil || ans.code != 201 {
		t.Fatalf("create machine: %+v %v", ans, err)
	}
	const n = 100
	for i := 0; i < n; i++ {
		srv := []*child{a, b}[i%2]
		if ans, err := send(srv.url+"/api/v1/entities", map[string]any{"id": fmt.Sprint("b", i), "machine_name": "blink"}, ""); err != nil || ans.code != 201 {
			t.Fatalf("create entity: %+v %v", ans, err)
		}
	}
	raw, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// the instance that claims and dies: its lease runs 5 s from now
	var claimed int
	err = raw.QueryRow(`WITH c AS (UPDATE timers SET claimed_until = $1
		WHERE id IN (SELECT id FROM timers ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED) RETURNING id) SELECT count(*) FROM c`,
		time.Now().Add(5*time.Second).UnixMilli()).Scan(&claimed)
	if err != nil || claimed != 50 {
		t.Fatalf("claimed %d timers (%v), want 50", claimed, err)
	}
	time.Sleep(1500 * time.Millisecond) // around the due time
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	st := pgStore(t, db)
	deadline := time.Now().Add(30 * time.Second)
	for {
		left, err := st.PendingTimers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d timers still pending 30 s after their due time", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := 0; i < n; i++ {
		h := fullHistory(t, st, fmt.Sprint("b", i))
		if len(h) != 2 || h[1].Trigger != "_timeout" || h[1].TargetState != "off" {
			t.Fatalf("b%d history %+v: want one _timeout", i, h)
		}
	}
	_ = b
}

// TestCrashOnPostgresKeepsAcknowledgedEvents: load through two instances,
// one SIGKILLed in the middle: every event that got a 200 is in the history.
func TestCrashOnPostgresKeepsAcknowledgedEvents(t *testing.T) {
	db := pgtest.NewDatabase(t)
	a, b := startPair(t, db)
	if ans, err := send(a.url+"/api/v1/machines", map[string]string{"yaml": counterMachine}, ""); err != nil || ans.code != 201 {
		t.Fatalf("create machine: %+v %v", ans, err)
	}
	const entities = 20
	for i := 0; i < entities; i++ {
		if ans, err := send(a.url+"/api/v1/entities", map[string]any{"id": fmt.Sprint("e", i), "machine_name": "counter"}, ""); err != nil || ans.code != 201 {
			t.Fatalf("create entity: %+v %v", ans, err)
		}
	}
	var mu sync.Mutex
	acked := map[string][]float64{}
	count := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			base := []*child{a, b}[w%2].url
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprint("e", (w+i)%entities)
				n := float64(w*1_000_000 + i)
				ans, err := send(base+"/api/v1/entities/"+id+"/events", map[string]any{"trigger": "bump", "payload": map[string]any{"n": n}}, "")
				if err != nil {
					if base == a.url {
						return // the killed instance is gone
					}
					continue
				}
				if ans.code == 200 {
					mu.Lock()
					acked[id] = append(acked[id], n)
					count++
					mu.Unlock()
				}
			}
		}(w)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		c := count
		mu.Unlock()
		if c >= 1000 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	time.Sleep(300 * time.Millisecond) // the other instance goes on meanwhile
	close(stop)
	wg.Wait()
	if count < 100 {
		t.Fatalf("only %d events were acknowledged; the load did not run", count)
	}
	st := pgStore(t, db)
	lost := 0
	for id, ns := range acked {
		have := map[float64]bool{}
		h := fullHistory(t, st, id)
		for _, ev := range h {
			if x, ok := ev.Payload["n"].(float64); ok {
				have[x] = true
			}
		}
		for _, x := range ns {
			if !have[x] {
				lost++
			}
		}
		e, err := st.GetEntity(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if e.HistoryLen != len(h) {
			t.Errorf("%s: history_len %d, %d history rows", id, e.HistoryLen, len(h))
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged events are missing after the crash", lost, count)
	}
	t.Logf("%d acknowledged events through two instances, all in the history after one was SIGKILLed", count)
}
