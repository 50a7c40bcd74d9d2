// Package sqlite is the SQLite adapter of the store (the embedded default,
// SPEC 5): WAL mode, foreign keys, one writing connection and a pool of
// read-only ones, migrations from migrations/sqlite applied at open.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/statorhq/stator/migrations"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/internal/sqlbase"
)

// DB is a store.Backend on one SQLite file: the SQL it shares with
// PostgreSQL (sqlbase.Base) on SQLite's connections, and its own event
// commit, timer claims, readiness and integrity check.
type DB struct {
	*sqlbase.Base
	w    *sqlx.DB // the one writing connection
	r    *sqlx.DB // read-only connections
	path string
	busy time.Duration
	once sync.Once
	err  error
}

var _ store.Backend = (*DB)(nil)

// Options configure the database.
type Options struct {
	// Synchronous is SQLite's synchronous setting: FULL (default) makes every
	// acknowledged event survive a power loss; NORMAL survives process crashes only.
	Synchronous string
	// BusyTimeout is how long a statement waits for another process's lock
	// before the store answers "busy" (default 5 s).
	BusyTimeout time.Duration
}

// Open opens (creating if needed) the database file at path and applies the
// embedded migrations. Processes starting together on one file apply them
// once: the migration runs under an exclusive lock on path + ".lock".
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Synchronous == "" {
		opts.Synchronous = "FULL"
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	dsn := func(readOnly bool) string {
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", opts.Synchronous)
		q.Set("_foreign_keys", "on")
		q.Set("_busy_timeout", fmt.Sprint(opts.BusyTimeout.Milliseconds()))
		q.Set("_txlock", "immediate")
		q.Set("_stmt_cache_size", "64") // re-use prepared statements per connection
		if readOnly {
			q.Set("_query_only", "true")
		}
		return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	}
	unlock, err := lockFile(path + ".lock")
	if err != nil {
		return nil, err
	}
	w, err := sqlx.Open("sqlite3", dsn(false))
	if err != nil {
		unlock()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	err = w.PingContext(ctx)
	if err == nil {
		err = migrate(ctx, w.DB)
	}
	unlock()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := sqlx.Open("sqlite3", dsn(true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	return &DB{Base: sqlbase.New(sqlbase.Dialect{Writer: w, Reader: r, MapErr: mapErr, IsUnique: isUnique,
		Time: func(t time.Time) any { return formatTime(t) }}),
		w: w, r: r, path: path, busy: opts.BusyTimeout}, nil
}

// lockFile takes an exclusive advisory lock on a file next to the database
// (created if needed), waiting for other processes that hold it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("migration lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("migration lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectSQLite3, db, migrations.SQLite())
}

func migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Stats are the writing connection's numbers (for /metrics).
func (db *DB) Stats() sql.DBStats { return db.w.Stats() }

// Dialect is "sqlite".
func (db *DB) Dialect() string { return "sqlite" }

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database (once; later calls return the first answer).
func (db *DB) Close() error {
	db.once.Do(func() { db.err = errors.Join(db.r.Close(), db.w.Close()) })
	return db.err
}

// Ready checks that the database answers, that every migration this binary
// knows is applied, and that the write lock can be had within a second
// (another process holding it for longer makes the server not ready).
func (db *DB) Ready(ctx context.Context) error {
	p, err := provider(db.r.DB)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return mapErr(err)
	}
	if pending {
		return store.Errorf(store.EUNAVAILABLE, "the database has migrations that are not applied yet")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 1000"); err != nil {
		return mapErr(err)
	}
	defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", db.busy.Milliseconds()))
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock): takes the write lock
	if err != nil {
		return mapErr(err)
	}
	return tx.Rollback()
}

// CheckIntegrity runs SQLite's integrity_check and reports anything but "ok".
func (db *DB) CheckIntegrity(ctx context.Context) error {
	var rows []string
	if err := db.r.SelectContext(ctx, &rows, "PRAGMA integrity_check"); err != nil {
		return err
	}
	if len(rows) == 1 && rows[0] == "ok" {
		return nil
	}
	return fmt.Errorf("integrity_check: %v", rows)
}

// mapErr turns SQLite's "busy" into store.ErrUnavailable (503 with
// Retry-After, never 500) and keeps other errors as they are.
func mapErr(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) {
		return &store.Error{Code: store.EUNAVAILABLE, Detail: "database_busy", Message: "the database is busy; retry in a moment", Err: err}
	}
	return err
}

func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// formatTime is how SQLite stores a time: RFC 3339 text in UTC, whose
// order is the times' order (sqlbase reads it back).
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// OpenStore opens the SQLite database at path and starts a store on it: the
// embedded default of the binary and of tests.
func OpenStore(ctx context.Context, path string, o Options, so store.Options) (*store.Store, error) {
	db, err := Open(ctx, path, o)
	if err != nil {
		return nil, err
	}
	return store.New(db, so), nil
}
