package web_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web"
)

// The edges of issue 11, each tried as an attacker would against the real
// server: the exact body limit, a busy database, processes starting
// together, idempotency keys reused, entity ids in paths, aliased machine
// names, the messages of bad input, logged addresses and wide binds.

// padJSON is a JSON object of exactly n bytes: the body, then spaces.
func padJSON(body string, n int) string {
	return body + strings.Repeat(" ", n-len(body))
}

// padForm is a form of exactly n bytes: the fields, then a padding field.
func padForm(fields url.Values, n int) string {
	s := fields.Encode() + "&pad="
	return s + strings.Repeat("x", n-len(s))
}

// padMultipart is a multipart form (boundary "x") of exactly n bytes whose
// yaml field is the text, then comment padding.
func padMultipart(text string, n int) string {
	head := "--x\r\nContent-Disposition: form-data; name=\"yaml\"\r\n\r\n" + text + "#"
	tail := "\r\n--x--\r\n"
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// TestBodyLimitIsExactlyOneMiB: 1,048,576 bytes are read, one more is 413,
// with or without a Content-Length, on the API and on the pages' forms.
func TestBodyLimitIsExactlyOneMiB(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	const limit = 1 << 20
	if web.MaxBodyBytes != limit {
		t.Fatalf("MaxBodyBytes is %d", web.MaxBodyBytes)
	}
	event := `{"trigger": "push"}`
	form := url.Values{"yaml": {doorMachine}}
	tests := []struct {
		name string
		a    attack
		want int
	}{
		{"API at the limit", attack{method: "POST", path: "/api/v1/process", ctype: jsonType, body: padJSON(jsonBody(map[string]any{"yaml": doorMachine, "trigger": "push"}), limit)}, 200},
		{"API one byte over", attack{method: "POST", path: "/api/v1/process", ctype: jsonType, body: padJSON(jsonBody(map[string]any{"yaml": doorMachine, "trigger": "push"}), limit+1)}, 413},
		{"API at the limit, chunked", attack{method: "POST", path: "/api/v1/validate", ctype: jsonType, chunked: true, body: padJSON(jsonBody(map[string]any{"yaml": doorMachine}), limit)}, 200},
		{"API one byte over, chunked", attack{method: "POST", path: "/api/v1/validate", ctype: jsonType, chunked: true, body: padJSON(jsonBody(map[string]any{"yaml": doorMachine}), limit+1)}, 413},
		{"event one byte over", attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: padJSON(event, limit+1)}, 413},
		{"event at the limit", attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: padJSON(event, limit)}, 200},
		{"form at the limit", attack{method: "POST", path: "/workspace/analyze", ctype: formType, body: padForm(form, limit)}, 200},
		{"form one byte over", attack{method: "POST", path: "/workspace/analyze", ctype: formType, body: padForm(form, limit+1)}, 413},
		{"form one byte over, chunked", attack{method: "POST", path: "/workspace/analyze", ctype: formType, chunked: true, body: padForm(form, limit+1)}, 413},
		{"new machine form one byte over, chunked", attack{method: "POST", path: "/machines", ctype: formType, chunked: true,
			body: padForm(url.Values{"template": {"blank"}}, limit+1)}, 413},
		{"multipart form at the limit, chunked", attack{method: "POST", path: "/workspace/analyze", ctype: "multipart/form-data; boundary=x", chunked: true,
			body: padMultipart(doorMachine, limit)}, 200},
		{"multipart form one byte over, chunked", attack{method: "POST", path: "/workspace/analyze", ctype: "multipart/form-data; boundary=x", chunked: true,
			body: padMultipart(doorMachine, limit+1)}, 413},
		{"multipart save one byte over, chunked", attack{method: "POST", path: "/machines/" + id + "/save", ctype: "multipart/form-data; boundary=x", chunked: true,
			body: padMultipart(doorMachine+"  - {trigger: kick, source: closed, dest: open}\n", limit+1)}, 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := len(tc.a.body); n != limit && n != limit+1 {
				t.Fatalf("the body is %d bytes", n)
			}
			before := dbDigest(t, ts.path)
			r := send(t, ts.url, tc.a)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.want, r.body)
			}
			if r.status == 413 {
				if !strings.Contains(string(r.body), "1 MiB") {
					t.Errorf("the refusal does not name the limit: %.300s", r.body)
				}
				if dbDigest(t, ts.path) != before {
					t.Errorf("a refused body changed what is stored")
				}
			}
		})
	}
	e := call(t, "GET", ts.url+"/api/v1/entities/d1", nil).json(t)
	if e["state"] != "open" || e["history_len"] != 2.0 {
		t.Errorf("d1: the event at the limit was taken once and the one over it never: %v", e)
	}
}

// holdWriteLock takes SQLite's write lock on the database file from another
// connection, as another process would, until the returned func is called.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			conn.ExecContext(context.Background(), "ROLLBACK")
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// TestBusyDatabase: while another process holds the write lock, events
// answer 503 with Retry-After once the busy timeout has passed (the attack
// got 500 "internal error" after 10 s), many at once too; /ready says 503
// while /health says 200; once the lock is gone everything works again.
func TestBusyDatabase(t *testing.T) {
	const busy = 300 * time.Millisecond
	ts := startTestServer(t, serverOptions{sqlite: sqlite.Options{BusyTimeout: busy}})
	id := seedDoor(t, ts.url)
	const entities = 20
	for i := range entities {
		wantStatus(t, call(t, "POST", ts.url+"/api/v1/entities", map[string]any{"id": fmt.Sprintf("e%d", i), "machine_id": id}), 201)
	}
	before := dbDigest(t, ts.path)
	release := holdWriteLock(t, ts.path)

	// Every event waits about one or two busy timeouts: a batch that fails
	// because the database is busy is not retried event by event (the last
	// of 20 events would then wait 20 timeouts). The deadline is generous:
	// 13 timeouts.
	deadline := 13 * busy
	var wg sync.WaitGroup
	results := make([]response, entities)
	took := make([]time.Duration, entities)
	for i := range entities {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			results[i] = send(t, ts.url, attack{method: "POST", path: fmt.Sprintf("/api/v1/entities/e%d/events", i), ctype: jsonType, body: `{"trigger": "push"}`})
			took[i] = time.Since(start)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.status != 503 || r.header.Get("Retry-After") == "" {
			t.Errorf("e%d: status %d, Retry-After %q; want 503 with Retry-After: %s", i, r.status, r.header.Get("Retry-After"), r.body)
		}
		if took[i] > deadline {
			t.Errorf("e%d answered after %v; a busy database answers within about its busy timeout (%v)", i, took[i], busy)
		}
	}
	wantStatus(t, send(t, ts.url, attack{method: "GET", path: "/health"}), 200)
	r := send(t, ts.url, attack{method: "GET", path: "/ready"})
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Errorf("/ready while the database is locked: %d %q, want 503 with Retry-After", r.status, r.header.Get("Retry-After"))
	}
	// reading still works
	wantStatus(t, send(t, ts.url, attack{method: "GET", path: "/api/v1/entities/e0"}), 200)
	release()
	if dbDigest(t, ts.path) != before {
		t.Errorf("events answered 503 changed what is stored")
	}
	wantStatus(t, send(t, ts.url, attack{method: "GET", path: "/ready"}), 200)
	for i := range entities {
		wantStatus(t, send(t, ts.url, attack{method: "POST", path: fmt.Sprintf("/api/v1/entities/e%d/events", i), ctype: jsonType, body: `{"trigger": "push"}`}), 200)
	}
}

// TestOpenTogether: servers starting at once on a new database file (the
// attack: 1 in 6 failed with a partial migration) all start, several
// rounds over.
func TestOpenTogether(t *testing.T) {
	const rounds, together = 6, 4
	for round := range rounds {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("round%d.db", round))
		var wg sync.WaitGroup
		errs := make([]error, together)
		dbs := make([]*sqlite.DB, together)
		start := make(chan struct{})
		for i := range together {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				dbs[i], errs[i] = sqlite.Open(context.Background(), path, sqlite.Options{})
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, opener %d: %v", round, i, err)
				continue
			}
			if err := dbs[i].Ready(context.Background()); err != nil {
				t.Errorf("round %d, opener %d: not ready: %v", round, i, err)
			}
			dbs[i].Close()
		}
	}
}

// TestIdempotencyKeyReused: a key seen before with another trigger or
// payload is 422 idempotency_key_reused (the attack got 200 with another
// request's result), and nothing is stored; the same request replays.
func TestIdempotencyKeyReused(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	seedDoor(t, ts.url)
	first := attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: `{"trigger": "push", "payload": {"n": 1}, "idempotency_key": "k1"}`}
	wantStatus(t, send(t, ts.url, first), 200)
	before := dbDigest(t, ts.path)
	tests := []struct {
		name string
		a    attack
		want int
	}{
		{"another trigger", attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: `{"trigger": "pull", "payload": {"n": 1}, "idempotency_key": "k1"}`}, 422},
		{"another payload", attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: `{"trigger": "push", "payload": {"n": 2}, "idempotency_key": "k1"}`}, 422},
		{"no payload", attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: `{"trigger": "push", "idempotency_key": "k1"}`}, 422},
		{"another trigger, key in the header", attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: `{"trigger": "pull", "payload": {"n": 1}}`,
			header: []string{"Idempotency-Key", "k1"}}, 422},
		{"the same request", first, 200},
		{"the same request, key in the header", attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: `{"trigger": "push", "payload": {"n": 1}}`,
			header: []string{"Idempotency-Key", "k1"}}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, tc.a)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if tc.want == 422 {
				if code := problemCode(t, r); code != "idempotency_key_reused" {
					t.Errorf("code %q, want idempotency_key_reused", code)
				}
			} else if r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("the same request was not a replay")
			}
			if dbDigest(t, ts.path) != before {
				t.Errorf("the request changed what is stored")
			}
		})
	}
}

// TestEntityIDsInPaths: an id with @ and : is reachable percent-encoded
// (the attack got 404), and "." and ".." (which browsers resolve away) are
// refused when an entity is created.
func TestEntityIDsInPaths(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	wantStatus(t, call(t, "POST", ts.url+"/api/v1/entities", map[string]any{"id": "user@x:1", "machine_id": id}), 201)
	for _, path := range []string{"/api/v1/entities/user%40x%3A1", "/api/v1/entities/user@x:1", "/api/v1/entities/user%40x:1", "/entities/user%40x%3A1"} {
		r := send(t, ts.url, attack{method: "GET", path: path})
		if r.status != 200 || !strings.Contains(string(r.body), "user@x:1") {
			t.Errorf("GET %s: status %d: %.200s", path, r.status, r.body)
		}
	}
	r := send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/user%40x%3A1/events", ctype: jsonType, body: `{"trigger": "push"}`})
	wantStatus(t, r, 200)
	r = send(t, ts.url, attack{method: "GET", path: "/api/v1/entities/user%40x%3A1/history"})
	if r.status != 200 || strings.Count(string(r.body), `"seq"`) != 2 {
		t.Errorf("history of user@x:1: status %d: %s", r.status, r.body)
	}
	r = send(t, ts.url, attack{method: "POST", path: "/entities/user%40x%3A1/send", ctype: formType, body: "op=event%3Apull"})
	if r.status != 200 || !strings.Contains(string(r.body), "closed") {
		t.Errorf("the entity page's send for user@x:1: status %d: %.300s", r.status, r.body)
	}

	before := dbDigest(t, ts.path)
	for _, bad := range []string{".", ".."} {
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/entities", ctype: jsonType, body: jsonBody(map[string]any{"id": bad, "machine_id": id})})
		if r.status != 400 {
			t.Errorf("POST /entities id %q: status %d, want 400: %s", bad, r.status, r.body)
		}
		enc := strings.ReplaceAll(bad, ".", "%2E")
		r = send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/" + enc + "/create", ctype: jsonType, body: jsonBody(map[string]any{"machine_id": id})})
		if r.status != 400 {
			t.Errorf("POST /entities/%s/create: status %d, want 400: %s", enc, r.status, r.body)
		}
		send(t, ts.url, attack{method: "POST", path: "/machines/" + id + "/entities", ctype: formType, body: url.Values{"id": {bad}}.Encode()})
	}
	if dbDigest(t, ts.path) != before {
		t.Errorf("an entity . or .. was stored")
	}
}

// TestForkAliasedMachineName: forking a machine whose machine_name is a
// YAML alias (the attack: "key machine_name appears twice") makes a copy
// that loads.
func TestForkAliasedMachineName(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	text := "names:\n  n: &n gate\nmeta:\n  machine_name: *n\n  version: '1'\nstates:\n  - {name: shut, type: initial}\n  - {name: open}\ntransitions:\n  - {trigger: push, source: shut, dest: open}\n"
	r := call(t, "POST", ts.url+"/api/v1/machines", map[string]any{"yaml": text})
	wantStatus(t, r, 201)
	id := r.json(t)["id"].(string)
	for i, want := range []string{"gate_fork", "gate_fork_2"} {
		r = send(t, ts.url, attack{method: "POST", path: "/machines/" + id + "/fork", ctype: formType, header: []string{"Origin", ts.url}})
		if r.status != 303 {
			t.Fatalf("fork %d: status %d: %s", i, r.status, r.body)
		}
		copyID := strings.TrimPrefix(r.header.Get("Location"), "/machines/")
		m := call(t, "GET", ts.url+"/api/v1/machines/"+copyID, nil)
		wantStatus(t, m, 200)
		if got := m.json(t)["name"]; got != want {
			t.Errorf("fork %d is named %v, want %s", i, got, want)
		}
		wantStatus(t, send(t, ts.url, attack{method: "GET", path: "/machines/" + copyID}), 200)
		p := call(t, "POST", ts.url+"/api/v1/process", map[string]any{"machine_id": copyID, "trigger": "push"})
		wantStatus(t, p, 200)
		if p.json(t)["target_state"] != "open" {
			t.Errorf("the copy does not process: %s", p.body)
		}
	}
}

// goNameRe finds Go identifiers and error texts that mean nothing to the
// people who send the request.
var goNameRe = regexp.MustCompile(`machineSource|[a-z]+Request\b|\bstruct\b|RawMessage|map\[|\[\]string|interface \{|\bengine\.|\bstore\.|\bapi\.|json: |Go value|unmarshal`)

// TestMessagesSpeakJSON: bad input to every JSON endpoint is a 4xx problem
// whose detail names JSON fields, never Go names (the attack saw
// "machineSource.yaml"), and never ends in a list with nothing in it.
func TestMessagesSpeakJSON(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	endpoints := []struct{ method, path string }{
		{"POST", "/api/v1/validate"}, {"POST", "/api/v1/process"}, {"POST", "/api/v1/render"},
		{"POST", "/api/v1/machines"}, {"PUT", "/api/v1/machines/" + id},
		{"POST", "/api/v1/entities"}, {"POST", "/api/v1/entities/x9/create"}, {"POST", "/api/v1/entities/d1/events"},
		{"POST", "/api/v1/shares"},
	}
	bodies := []string{
		`{"yaml": 5}`, `{"config": 5}`, `{"config": "x"}`, `{"config": [1]}`, `{"machine_id": 5}`, `{"nope": 1}`,
		`[]`, `"s"`, `5`, `null`, `{}`, `{"trigger": []}`, `{"context": "x"}`, `{"payload": 3}`, `{"guard_values": {"g": "yes"}}`,
		`{"id": 5}`, `{"trace": "x"}`, `{"format": 1}`, `{"direction": 7}`, `{"base_revision": "3"}`, `{"base_revision": 1.5}`,
		`{"idempotency_key": 5}`, `{"yaml": "meta: [", "trigger": "t"}`, `{"yaml": "x", "config": {}}`, `{"machine_name": {}}`,
	}
	before := dbDigest(t, ts.path)
	for _, ep := range endpoints {
		for _, body := range bodies {
			r := send(t, ts.url, attack{method: ep.method, path: ep.path, ctype: jsonType, body: body})
			if r.status < 400 || r.status >= 500 {
				if r.status < 300 {
					continue // valid for this endpoint (an unknown field of another one, say)
				}
				t.Errorf("%s %s %s: status %d: %s", ep.method, ep.path, body, r.status, r.body)
				continue
			}
			detail, _ := r.json(t)["detail"].(string)
			code, _ := r.json(t)["code"].(string)
			switch {
			case code == "":
				t.Errorf("%s %s %s: no code: %s", ep.method, ep.path, body, r.body)
			case strings.TrimSpace(detail) == "":
				t.Errorf("%s %s %s: no detail: %s", ep.method, ep.path, body, r.body)
			case goNameRe.MatchString(detail):
				t.Errorf("%s %s %s: the detail shows Go: %q", ep.method, ep.path, body, goNameRe.FindString(detail))
			case strings.HasSuffix(strings.TrimSpace(detail), ":"), strings.Contains(detail, "are: ,"), strings.HasSuffix(strings.TrimSpace(detail), "are:"):
				t.Errorf("%s %s %s: the detail ends in an empty list: %q", ep.method, ep.path, body, detail)
			}
		}
	}
	if dbDigest(t, ts.path) != before {
		t.Errorf("bad input changed what is stored")
	}
}

// TestEveryProblemHasACode: the problems the router and the body limit
// make carry a code, as the store's and the engine's do (a body over the
// limit answered without one, so a client had only the English to go by).
func TestEveryProblemHasACode(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	tests := []struct {
		name   string
		a      attack
		status int
		code   string
	}{
		{"a body over the limit", attack{method: "POST", path: "/api/v1/process", ctype: jsonType, body: padJSON(`{"trigger": "t"}`, 1<<20+1)}, 413, "body_too_large"},
		{"no such endpoint", attack{method: "GET", path: "/api/v1/nothing-here"}, 404, "not_found"},
		{"a method the endpoint does not take", attack{method: "DELETE", path: "/api/v1/validate"}, 405, "method_not_allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, tc.a)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.status, r.body)
			}
			if got := problemCode(t, r); got != tc.code {
				t.Errorf("code %q, want %q: %.300s", got, tc.code, r.body)
			}
		})
	}
}

// TestMessagesSayWhatIsWrong: the first thing wrong is the thing named.
func TestMessagesSayWhatIsWrong(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	tests := []struct {
		name   string
		a      attack
		status int
		detail string
	}{
		{"config is not an object on /process", attack{method: "POST", path: "/api/v1/process", ctype: jsonType, body: `{"config": 5}`}, 400, "config must be a JSON object"},
		{"config is a list on /process", attack{method: "POST", path: "/api/v1/process", ctype: jsonType, body: `{"config": [], "trigger": "t"}`}, 400, "config must be a JSON object"},
		{"unknown direction on /render", attack{method: "POST", path: "/api/v1/render", ctype: jsonType, body: jsonBody(map[string]any{"yaml": doorMachine, "direction": "sideways"})}, 400, "direction"},
		{"known direction on /render", attack{method: "POST", path: "/api/v1/render", ctype: jsonType, body: jsonBody(map[string]any{"yaml": doorMachine, "direction": "LR"})}, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, tc.a)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.detail != "" {
				if got, _ := r.json(t)["detail"].(string); !strings.Contains(got, tc.detail) {
					t.Errorf("detail %q, want it to say %q", got, tc.detail)
				}
			}
		})
	}
}

// loggedRemote is the client address of the request log record for path.
func loggedRemote(t *testing.T, ts *testInstance, path string) string {
	t.Helper()
	for _, rec := range ts.logs.records(t) {
		if rec["msg"] == "request" && rec["uri"] == path {
			s, _ := rec["remote"].(string)
			return s
		}
	}
	t.Fatalf("no request record for %s", path)
	return ""
}

// TestForwardedForIsNotBelieved: X-Forwarded-For does not become the logged
// client address (nor the rate limit's key) unless the server is told it
// runs behind a proxy.
func TestForwardedForIsNotBelieved(t *testing.T) {
	tests := []struct {
		name  string
		trust bool
		want  string
	}{
		{"direct", false, "127.0.0.1"},
		{"behind a trusted proxy", true, "6.6.6.6"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startTestServer(t, serverOptions{config: web.Config{TrustProxy: tc.trust}})
			wantStatus(t, send(t, ts.url, attack{method: "GET", path: "/health?probe", header: []string{"X-Forwarded-For", "6.6.6.6", "X-Real-IP", "6.6.6.6"}}), 200)
			if got := loggedRemote(t, ts, "/health?probe"); got != tc.want {
				t.Errorf("logged client address %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWideBindWarns: listening on every interface says so in the log.
func TestWideBindWarns(t *testing.T) {
	ts := startTestServer(t, serverOptions{config: web.Config{Addr: "0.0.0.0:0", InsecureNoAuth: true}})
	warned := false
	for _, rec := range ts.logs.records(t) {
		if rec["level"] == "WARN" && strings.Contains(fmt.Sprint(rec["msg"]), "non-loopback") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning for a server on 0.0.0.0: %v", ts.logs.records(t))
	}
	quiet := startTestServer(t, serverOptions{})
	for _, rec := range quiet.logs.records(t) {
		if rec["level"] == "WARN" {
			t.Errorf("a loopback server warns: %v", rec)
		}
	}
}

// TestErrorParameterIsNotShown: the machines page does not show text from
// its URL as an alert (a link could make it say anything, in the app's voice).
func TestErrorParameterIsNotShown(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	const bait = "Your session expired. Call 555-0100 to restore your machines"
	r := send(t, ts.url, attack{method: "GET", path: "/?error=" + url.QueryEscape(bait)})
	wantStatus(t, r, 200)
	if strings.Contains(string(r.body), bait) {
		t.Fatal("the machines page shows text from its URL as an alert")
	}
}
