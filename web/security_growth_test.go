package web_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web"
)

// Stored growth (SPEC 11, issue 11): what requests may add to the database
// is bounded per request, whatever they send: contexts are capped, history
// rows and idempotent answers do not grow with the context, history comes
// in pages, shares are capped, rate-limited and stored once per content.

const bagMachine = "meta: {machine_name: bag, version: '1'}\nstates:\n  - {name: open, type: initial}\ntransitions:\n  - {trigger: put, source: open, dest: open}\n"

// seedBag stores the bag machine (put merges any payload into the
// context) and an entity of it.
func seedBag(t *testing.T, base, entity string) {
	t.Helper()
	r := call(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": bagMachine})
	if r.status != 201 && r.status != 409 {
		t.Fatalf("create bag: %d %s", r.status, r.body)
	}
	wantStatus(t, call(t, "POST", base+"/api/v1/entities", map[string]any{"id": entity, "machine_name": "bag"}), 201)
}

// eventWith is an event body whose payload has one key with a string of n bytes.
func eventWith(trigger, key string, n int, idempotencyKey string) string {
	return jsonBody(map[string]any{"trigger": trigger, "payload": map[string]any{key: strings.Repeat("x", n)}, "idempotency_key": idempotencyKey})
}

func problemCode(t *testing.T, r response) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %.300s", ct, r.body)
	}
	code, _ := r.json(t)["code"].(string)
	return code
}

// TestContextGrowthIsRefused: 40 events each adding a 990 KB key (the
// attack made a 40 MB context and an 894 MB database) are refused once the
// context would pass 256 KiB, and so are payloads that could never fit in
// a context, even on events that are refused anyway (their history row
// would keep the payload).
func TestContextGrowthIsRefused(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	seedBag(t, ts.url, "b1")
	const big = 990_000

	before := dbDigest(t, ts.path)
	for i := range 40 {
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/b1/events", ctype: jsonType,
			body: eventWith("put", fmt.Sprintf("k%d", i), big, fmt.Sprintf("key-%d", i))})
		if r.status != 413 {
			t.Fatalf("event %d: status %d, want 413: %.300s", i, r.status, r.body)
		}
		if code := problemCode(t, r); code != "context_too_large" && code != "payload_too_large" {
			t.Fatalf("event %d: code %q, want context_too_large", i, code)
		}
	}
	for i := range 10 {
		// refused events are recorded in the history with their payload
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/b1/events", ctype: jsonType,
			body: eventWith("no_such_trigger", fmt.Sprintf("k%d", i), big, "")})
		if r.status != 413 {
			t.Fatalf("refused event %d: status %d, want 413: %.300s", i, r.status, r.body)
		}
	}
	if dbDigest(t, ts.path) != before {
		t.Errorf("refused events changed what is stored")
	}

	// 100 KB at a time: two fit, the third would pass 256 KiB
	for i, want := range []int{200, 200, 413, 413} {
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/b1/events", ctype: jsonType,
			body: eventWith("put", fmt.Sprintf("m%d", i), 100_000, fmt.Sprintf("m-%d", i))})
		if r.status != want {
			t.Fatalf("100 KB key %d: status %d, want %d: %.300s", i, r.status, want, r.body)
		}
		if want == 413 {
			if code := problemCode(t, r); code != "context_too_large" {
				t.Errorf("100 KB key %d: code %q, want context_too_large", i, code)
			}
		}
	}
	r := send(t, ts.url, attack{method: "GET", path: "/api/v1/entities/b1"})
	wantStatus(t, r, 200)
	var e struct {
		Context    map[string]any `json:"context"`
		HistoryLen int            `json:"history_len"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Context) != 2 || e.HistoryLen != 3 || len(r.body) > 256<<10 {
		t.Errorf("entity after the attack: %d context keys, history_len %d, %d bytes; want 2 keys, 3 rows, under 256 KiB",
			len(e.Context), e.HistoryLen, len(r.body))
	}
	wantStatus(t, send(t, ts.url, attack{method: "GET", path: "/health"}), 200)
	if n := dbBytes(t, ts.path); n > 20<<20 {
		t.Errorf("the database is %d bytes after the attack, want under 20 MB", n)
	}
}

// TestStoredRowsDoNotGrowWithTheContext: each keyed event's stored answer
// (kept for idempotent replays) and each history row are as big as the
// event, not as the entity's context (which grows to 240 KB here).
func TestStoredRowsDoNotGrowWithTheContext(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	seedBag(t, ts.url, "b1")
	const keys, size = 24, 10_000
	for i := range keys {
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/b1/events", ctype: jsonType,
			body: eventWith("put", fmt.Sprintf("k%02d", i), size, fmt.Sprintf("key-%d", i))})
		wantStatus(t, r, 200)
	}
	db, err := sql.Open("sqlite3", "file:"+ts.path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT seq, length(response), length(payload) + length(actions) + length(coalesce(error, '')) + length(response) FROM history
		WHERE entity_id = 'b1' AND idempotency_key IS NOT NULL ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, first := 0, 0
	for rows.Next() {
		var seq, answer, row int
		if err := rows.Scan(&seq, &answer, &row); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			first = answer
		}
		n++
		if answer > 4096 || answer > first+64 {
			t.Errorf("row %d: the stored answer is %d bytes (the first was %d): it grows with the context", seq, answer, first)
		}
		if row > size+4096 {
			t.Errorf("row %d stores %d bytes for a %d-byte payload", seq, row, size)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != keys {
		t.Fatalf("%d keyed rows, want %d", n, keys)
	}
	// a replay answers the first result with the entity as it is now
	r := send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/b1/events", ctype: jsonType, body: eventWith("put", "k00", size, "key-0")})
	wantStatus(t, r, 200)
	var out struct {
		Result struct {
			Success bool `json:"success"`
		} `json:"result"`
		Entity struct {
			Context    map[string]any `json:"context"`
			HistoryLen int            `json:"history_len"`
		} `json:"entity"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	if r.header.Get("Idempotent-Replayed") != "true" || !out.Result.Success || len(out.Entity.Context) != keys || out.Entity.HistoryLen != keys+1 {
		t.Errorf("replay: %v, success %v, %d keys, history_len %d", r.header.Get("Idempotent-Replayed"), out.Result.Success, len(out.Entity.Context), out.Entity.HistoryLen)
	}
}

// TestHistoryIsPaginated: an entity with 10,000 events answers its history
// in pages (100 by default, at most 1,000) with next_after, oldest first,
// and its page shows the newest rows only.
func TestHistoryIsPaginated(t *testing.T) {
	ts := startTestServer(t, serverOptions{sqlite: sqlite.Options{Synchronous: "OFF"}})
	seedBag(t, ts.url, "b1")
	ctx := context.Background()
	const events = 10_000
	for i := range events {
		// through the store: 10,000 HTTP round trips would only slow the test
		if _, err := ts.st.SendEvent(ctx, "b1", store.Event{Trigger: "put", Payload: engine.Context{"n": i}}); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		Events []struct {
			Seq int `json:"seq"`
		} `json:"events"`
		NextAfter *int `json:"next_after"`
	}
	get := func(query string) (page, int) {
		t.Helper()
		r := send(t, ts.url, attack{method: "GET", path: "/api/v1/entities/b1/history" + query})
		wantStatus(t, r, 200)
		var p page
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		return p, len(r.body)
	}
	p, size := get("")
	if len(p.Events) != 100 || p.Events[0].Seq != 1 || p.Events[99].Seq != 100 || p.NextAfter == nil || *p.NextAfter != 100 {
		t.Fatalf("default page: %d events, next_after %v", len(p.Events), p.NextAfter)
	}
	if size > 64<<10 {
		t.Errorf("the default page is %d bytes", size)
	}
	for _, q := range []string{"?limit=1001", "?limit=0", "?limit=-1", "?after=-1", "?after=x", "?limit=1e3"} {
		r := send(t, ts.url, attack{method: "GET", path: "/api/v1/entities/b1/history" + q})
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400: %s", q, r.status, r.body)
		}
	}
	// all of it, 1,000 at a time
	seen, pages, after := 0, 0, 0
	for {
		p, size := get("?limit=1000&after=" + strconv.Itoa(after))
		pages++
		if len(p.Events) > 1000 || size > 640<<10 {
			t.Fatalf("page after %d: %d events, %d bytes", after, len(p.Events), size)
		}
		for _, ev := range p.Events {
			if ev.Seq != after+1 {
				t.Fatalf("seq %d after %d", ev.Seq, after)
			}
			after = ev.Seq
			seen++
		}
		if p.NextAfter == nil {
			break
		}
		if *p.NextAfter != after {
			t.Fatalf("next_after %d, the last row was %d", *p.NextAfter, after)
		}
		if pages > 20 {
			t.Fatal("the pages do not end")
		}
	}
	if seen != events+1 || pages != 11 {
		t.Errorf("%d rows in %d pages, want %d in 11", seen, pages, events+1)
	}
	// the entity page shows the newest rows, not 10,001
	r := send(t, ts.url, attack{method: "GET", path: "/entities/b1"})
	wantStatus(t, r, 200)
	if len(r.body) > 512<<10 {
		t.Errorf("the entity page is %d bytes", len(r.body))
	}
	if rows := strings.Count(string(r.body), `data-testid="history-row"`); rows == 0 || rows > 100 {
		t.Errorf("the entity page shows %d history rows, want 1 to 100", rows)
	}
}

// shareBody is a share of a machine text of n bytes, distinct per i.
func shareBody(i, n int, trace any) string {
	text := fmt.Sprintf("meta: {machine_name: s%d}\nstates:\n  - {name: a, type: initial}\ntransitions: []\n# ", i)
	text += strings.Repeat("x", max(0, n-len(text)))
	return jsonBody(map[string]any{"yaml": text, "trace": trace})
}

// TestShareFlood: 300 anonymous 0.9 MB shares from one address (the attack
// stored 282 MB in 2.8 s) are refused: over-size ones with 413, and all of
// them with 429 after 30 in a minute, whatever X-Forwarded-For says; the
// limit lifts after the minute.
func TestShareFlood(t *testing.T) {
	clock := engine.NewManualClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	ts := startTestServer(t, serverOptions{config: web.Config{Clock: clock}})
	before, beforeBytes := dbDigest(t, ts.path), dbBytes(t, ts.path)
	var tooLarge, limited int
	for i := range 300 {
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/shares", ctype: jsonType, body: shareBody(i, 900_000, nil),
			header: []string{"X-Forwarded-For", fmt.Sprintf("10.0.%d.%d", i/250, i%250)}})
		switch r.status {
		case 413:
			tooLarge++
		case 429:
			limited++
			ra, err := strconv.Atoi(r.header.Get("Retry-After"))
			if err != nil || ra < 1 || ra > 60 {
				t.Fatalf("share %d: Retry-After %q, want 1 to 60 seconds", i, r.header.Get("Retry-After"))
			}
		default:
			t.Fatalf("share %d: status %d: %.300s", i, r.status, r.body)
		}
	}
	if tooLarge != 30 || limited != 270 {
		t.Errorf("%d over-size (413), %d limited (429); want 30 and 270", tooLarge, limited)
	}
	// the page's share form counts against the same limit
	form := send(t, ts.url, attack{method: "POST", path: "/workspace/share", ctype: formType, body: url.Values{"yaml": {doorMachine}}.Encode()})
	if form.status != 429 {
		t.Errorf("page share after the flood: status %d, want 429", form.status)
	}
	if dbDigest(t, ts.path) != before {
		t.Errorf("the refused shares changed what is stored")
	}
	if grown := dbBytes(t, ts.path) - beforeBytes; grown > 1<<20 {
		t.Errorf("the database grew by %d bytes", grown)
	}

	clock.Advance(61 * time.Second)
	// the caps: text 512 KiB, text and trace 768 KiB
	trace := map[string]any{"context": map[string]any{"pad": strings.Repeat("t", 300_000)}, "steps": []any{}}
	tests := []struct {
		name string
		body string
		want int
		code string
	}{
		{"text at 500 KB", shareBody(1000, 500_000, nil), 201, ""},
		{"text over 512 KiB", shareBody(1001, 530_000, nil), 413, "text_too_large"},
		{"text and trace over 768 KiB", shareBody(1002, 500_000, trace), 413, "share_too_large"},
		{"text and trace under 768 KiB", shareBody(1003, 400_000, trace), 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, attack{method: "POST", path: "/api/v1/shares", ctype: jsonType, body: tc.body})
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.want, r.body)
			}
			if tc.code != "" {
				if got := problemCode(t, r); got != tc.code {
					t.Errorf("code %q, want %q", got, tc.code)
				}
			}
		})
	}
	// the same content is the same share, stored once
	var ids []string
	for range 3 {
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/shares", ctype: jsonType, body: shareBody(1000, 500_000, nil)})
		wantStatus(t, r, 201)
		ids = append(ids, r.json(t)["id"].(string))
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Errorf("the same content got ids %v", ids)
	}
	if n := countRows(t, ts.path, "shares"); n != 2 {
		t.Errorf("%d shares stored, want 2", n)
	}
	if n := dbBytes(t, ts.path); n > 20<<20 {
		t.Errorf("the database is %d bytes, want under 20 MB", n)
	}
}

func countRows(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
