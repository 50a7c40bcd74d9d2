// Package store keeps machines, their revisions, entities with their history
// and timers, and shares in SQLite (SPEC 5). Every acknowledged event is
// durable: events are committed with synchronous=FULL, in batches (group
// commit) by a single writer so that throughput does not pay one fsync per event.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver
	"github.com/pressly/goose/v3"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/migrations"
)

// Errors callers match with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrClosed   = errors.New("store is closed")
)

// Store is the SQLite-backed persistence of Stator. It is safe for concurrent use.
type Store struct {
	w      *sqlx.DB // the one writing connection
	r      *sqlx.DB // read-only connections
	clock  engine.Clock
	log    *slog.Logger
	path   string
	cache  *machineCache
	events chan *eventReq
	wake   chan struct{} // tells the scheduler a timer was armed
	quit   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
	opts   Options
}

// Options configure a store. The zero value is usable.
type Options struct {
	Clock    engine.Clock // default: the system clock
	Logger   *slog.Logger // default: discard
	MaxBatch int          // events per group commit, default 128
	// NoScheduler disables the timer scheduler (for tests that drive timers by hand).
	NoScheduler bool
	// Synchronous is SQLite's synchronous setting: FULL (default) makes every
	// acknowledged event survive a power loss; NORMAL survives process crashes only.
	Synchronous string
}

// Open opens (creating if needed) the database file at path, applies the
// embedded migrations and starts the event writer and the timer scheduler.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Clock == nil {
		opts.Clock = engine.ClockFunc(time.Now)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 128
	}
	if opts.Synchronous == "" {
		opts.Synchronous = "FULL"
	}
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", opts.Synchronous)
		q.Set("_foreign_keys", "on")
		q.Set("_busy_timeout", "10000")
		q.Set("_txlock", "immediate")
		q.Set("_stmt_cache_size", "64") // re-use prepared statements per connection
		if readOnly {
			q.Set("_query_only", "true")
		}
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	w, err := sqlx.Open("sqlite3", dsn(false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, w.DB); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sqlx.Open("sqlite3", dsn(true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	s := &Store{
		w: w, r: r, clock: opts.Clock, log: opts.Logger, path: path, opts: opts,
		cache:  newMachineCache(512),
		events: make(chan *eventReq, 4*opts.MaxBatch),
		wake:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
	}
	s.wg.Add(1)
	go s.writer()
	if !opts.NoScheduler {
		s.wg.Add(1)
		go s.scheduler()
	}
	return s, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations.FS, ".")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Close stops the scheduler, lets the writer finish the events already
// queued, and closes the database.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.quit)
		s.wg.Wait()
		err = errors.Join(s.r.Close(), s.w.Close())
	})
	return err
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Now is the store clock's time.
func (s *Store) Now() time.Time { return s.clock.Now() }

// CheckIntegrity runs SQLite's integrity_check and reports anything but "ok".
func (s *Store) CheckIntegrity(ctx context.Context) error {
	var rows []string
	if err := s.r.SelectContext(ctx, &rows, "PRAGMA integrity_check"); err != nil {
		return err
	}
	if len(rows) == 1 && rows[0] == "ok" {
		return nil
	}
	return fmt.Errorf("integrity_check: %v", rows)
}

// newID returns a random identifier of n lowercase base32 characters.
func newID(n int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

const timeFormat = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

// inTx runs fn in a write transaction.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// machineCache holds compiled machines by (machine, revision); revisions are
// immutable, so entries never go stale.
type machineCache struct {
	mu  sync.Mutex
	max int
	m   map[revKey]*engine.Machine
}

type revKey struct {
	id  string
	rev int
}

func newMachineCache(max int) *machineCache {
	return &machineCache{max: max, m: map[revKey]*engine.Machine{}}
}

func (c *machineCache) get(k revKey) (*engine.Machine, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.m[k]
	return m, ok
}

func (c *machineCache) put(k revKey, m *engine.Machine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for old := range c.m { // evict an arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[k] = m
}
