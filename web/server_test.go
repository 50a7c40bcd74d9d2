package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web"
)

// testServer starts the real server on a free port with a fresh database.
// With STATOR_TEST_DB=postgres the database is a new PostgreSQL database
// (testStore): `make test` runs the API tests a second time so.
func testServer(t *testing.T) (string, *store.Store) {
	t.Helper()
	if os.Getenv("STATOR_TEST_DB") == "postgres" {
		st := testStore(t, store.Options{})
		srv, err := web.New(context.Background(), web.Config{Addr: "127.0.0.1:0", Store: st})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Open(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			srv.Close()
			st.Close()
		})
		return srv.URL(), st
	}
	ts := startTestServer(t, serverOptions{})
	return ts.url, ts.st
}

// serverOptions change the server startTestServer builds; the zero value
// is testServer's.
type serverOptions struct {
	config web.Config // Addr defaults to 127.0.0.1:0; Store and Logger are set by startTestServer
	sqlite sqlite.Options
	store  store.Options
}

// testInstance is a running test server on its own SQLite file.
type testInstance struct {
	url  string
	st   *store.Store
	path string     // the database file
	logs *logBuffer // the server's log, JSON lines
}

// startTestServer starts the real server on a fresh database in a temporary
// directory, logging into a buffer the test can read.
func startTestServer(t *testing.T, o serverOptions) *testInstance {
	t.Helper()
	if os.Getenv("STATOR_TEST_DB") == "postgres" {
		t.Skip("this test reads the SQLite file; it runs in the SQLite pass of make test")
	}
	ctx := context.Background()
	ti := &testInstance{path: filepath.Join(t.TempDir(), "stator.db"), logs: &logBuffer{}}
	st, err := sqlite.OpenStore(ctx, ti.path, o.sqlite, o.store)
	if err != nil {
		t.Fatal(err)
	}
	ti.st = st
	cfg := o.config
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	cfg.Store = st
	cfg.Logger = slog.New(slog.NewJSONHandler(ti.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := web.New(ctx, cfg)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	ti.url = srv.URL()
	return ti
}

// logBuffer collects log lines written from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records are the JSON log records written so far.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(b.buf.Bytes(), []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, line)
		}
		out = append(out, rec)
	}
	return out
}

// attack is one request as an attacker (or a browser) would send it.
type attack struct {
	method, path string
	body         string
	ctype        string   // Content-Type; "" sends none
	header       []string // name, value pairs
	host         string   // the Host header; "" is the server's address
	chunked      bool     // send the body without a Content-Length
}

// deadlineClient answers within a generous deadline or fails the test, and
// shows redirects instead of following them.
var deadlineClient = &http.Client{
	Timeout:       30 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// send performs an attack on the server at base.
func send(t *testing.T, base string, a attack) response {
	t.Helper()
	var body io.Reader
	if a.body != "" {
		body = strings.NewReader(a.body)
		if a.chunked {
			body = io.MultiReader(body) // hides the length
		}
	}
	req, err := http.NewRequest(a.method, base+a.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if a.ctype != "" {
		req.Header.Set("Content-Type", a.ctype)
	}
	for i := 0; i+1 < len(a.header); i += 2 {
		req.Header.Set(a.header[i], a.header[i+1])
	}
	if a.host != "" {
		req.Host = a.host
	}
	res, err := deadlineClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", a.method, a.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", a.method, a.path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// dbDigest is a hash of every row of every table of the database file: two
// equal digests mean nothing stored changed in between.
func dbDigest(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := sha256.New()
	for _, table := range []string{"machines", "machine_revisions", "entities", "history", "timers", "shares"} {
		rows, err := db.Query("SELECT * FROM " + table + " ORDER BY rowid")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		fmt.Fprintf(h, "%s\n", table)
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%q\n", vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// dbBytes is the size of the database on disk: the file and its WAL.
func dbBytes(t *testing.T, path string) int64 {
	t.Helper()
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.body)
	}
	return v
}

// call sends a request; a string body is sent as is, anything else as JSON.
func call(t *testing.T, method, url string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func wantStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body: %s", r.status, want, r.body)
	}
}

type route struct{ method, path string }

// routes lists the routes the server registers.
func routes(t *testing.T) []route {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenStore(ctx, filepath.Join(t.TempDir(), "routes.db"), sqlite.Options{}, store.Options{NoScheduler: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	var out []route
	for _, r := range srv.Routes() {
		out = append(out, route{r[0], r[1]})
	}
	return out
}
