// Package postgres is the PostgreSQL adapter of the store (SPEC 13): pgx v5
// through database/sql under sqlx, migrations from migrations/postgres
// applied under a session lock (instances starting together apply them
// once), multi-row statements for group commit, timers claimed with
// FOR UPDATE SKIP LOCKED and a lease.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/statorhq/stator/migrations"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/internal/sqlbase"
)

// DB is a store.Backend on a PostgreSQL database: the SQL it shares with
// SQLite (sqlbase.Base) on one pool, and its own group commit and timer
// claims.
type DB struct {
	*sqlbase.Base
	db   *sqlx.DB
	once sync.Once
	err  error
}

var _ store.Backend = (*DB)(nil)

// Options configure the connection pool.
type Options struct {
	// MaxConns bounds the pool (default 32).
	MaxConns int
	// StatementTimeout bounds every statement (default 10 s); past it the
	// request answers 503.
	StatementTimeout time.Duration
}

// IsURL reports whether a --db value names a PostgreSQL database.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (postgres://user:pass@host:port/db?...)
// and applies the embedded migrations under an advisory lock.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	if opts.MaxConns <= 0 {
		opts.MaxConns = 32
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = 10 * time.Second
	}
	dsn, err := withRuntimeParams(url, opts.StatementTimeout)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(url), err)
	}
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", redact(url), err)
	}
	if err := migrate(ctx, db.DB); err != nil {
		db.Close()
		return nil, err
	}
	return &DB{Base: sqlbase.New(sqlbase.Dialect{Writer: db, Reader: db, MapErr: mapErr, IsUnique: isUnique,
		Time: func(t time.Time) any { return t.UTC() }, ReturningID: true, ArrayArgs: true, RowLocks: true}),
		db: db}, nil
}

// withRuntimeParams adds the settings every connection gets.
func withRuntimeParams(url string, stmt time.Duration) (string, error) {
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "statement_timeout=" + fmt.Sprint(stmt.Milliseconds()) + "&application_name=stator", nil
}

// redact hides a password in a database URL for messages.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	cred := url[scheme+3 : at]
	if i := strings.IndexByte(cred, ':'); i >= 0 {
		return url[:scheme+3] + cred[:i] + ":***" + url[at:]
	}
	return url
}

func provider(db *sql.DB, locked bool) (*goose.Provider, error) {
	var opts []goose.ProviderOption
	if locked {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(goose.DialectPostgres, db, migrations.Postgres(), opts...)
}

func migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db, true)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// Dialect is "postgres".
func (db *DB) Dialect() string { return "postgres" }

// Close closes the pool (once).
func (db *DB) Close() error {
	db.once.Do(func() { db.err = db.db.Close() })
	return db.err
}

// Stats are the pool's numbers (for /metrics).
func (db *DB) Stats() sql.DBStats { return db.db.Stats() }

// Ready checks that the database answers and every migration this binary
// knows is applied.
func (db *DB) Ready(ctx context.Context) error {
	p, err := provider(db.db.DB, false)
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
	return nil
}

// mapErr turns an unreachable or overloaded database into
// store.ErrUnavailable (503 with Retry-After, never 500).
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "57014", // query_canceled (statement_timeout)
			pe.Code == "55P03", // lock_not_available
			pe.Code == "40001", // serialization_failure
			pe.Code == "40P01", // deadlock_detected
			pe.Code == "53300", // too_many_connections
			strings.HasPrefix(pe.Code, "08"),
			strings.HasPrefix(pe.Code, "57P"): // admin shutdown, cannot connect now
			return &store.Error{Code: store.EUNAVAILABLE, Detail: "database_busy", Message: "the database is busy or unreachable; retry in a moment", Err: err}
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, sql.ErrConnDone) || pgconn.Timeout(err) {
		return &store.Error{Code: store.EUNAVAILABLE, Detail: "database_unreachable", Message: "the database is busy or unreachable; retry in a moment", Err: err}
	}
	return err
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
