// Package sqlbase is the SQL the store's adapters (store/sqlite,
// store/postgres) share: the store.Backend methods whose statements are the
// same in both dialects, written once with ? placeholders and bound to the
// adapter's placeholder style. An adapter embeds a *Base made from its
// Dialect and adds what really differs: opening, migrations, readiness and
// the event commit path.
package sqlbase

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Dialect is what an adapter tells Base about its database.
type Dialect struct {
	// Writer runs the transactions and the writes outside them; Reader the
	// reads outside a transaction. SQLite gives its one writing connection
	// and its pool of read-only ones, PostgreSQL one pool for both. The
	// placeholder style is the Writer's driver's (sqlx.BindType).
	Writer, Reader *sqlx.DB
	// MapErr turns the driver's busy or unreachable errors into
	// store.ErrUnavailable and keeps others (and nil) as they are.
	MapErr func(error) error
	// IsUnique reports a unique-constraint violation.
	IsUnique func(error) bool
	// Time encodes a time for a write: SQLite stores RFC 3339 text, whose
	// order is the times' order; PostgreSQL a timestamptz.
	Time func(time.Time) any
	// ReturningID: a new timer's id comes back from INSERT ... RETURNING id;
	// else from the result's LastInsertId.
	ReturningID bool
	// ArrayArgs: a list is one array argument (state = ANY(?)); else one
	// placeholder an item (state IN (?, ?, ...)).
	ArrayArgs bool
	// RowLocks: transactions run side by side, so one that reads rows in
	// order to change them locks them first (SELECT ... FOR UPDATE), in a
	// fixed order. Without it (SQLite) the one write lock orders them.
	RowLocks bool
}

// Base implements the shared part of store.Backend on a Dialect.
type Base struct {
	d    Dialect
	bind int
	hot  hotQueries
}

// hotQueries are the statements of the event path, bound once so that no
// call pays for binding.
type hotQueries struct {
	entityRow, entityTimers, answer, insertTimer, insertHistory string
}

// New makes the shared SQL for a dialect.
func New(d Dialect) *Base {
	b := &Base{d: d, bind: sqlx.BindType(d.Writer.DriverName())}
	insertTimer := insertTimerSQL
	if d.ReturningID {
		insertTimer += ` RETURNING id`
	}
	b.hot = hotQueries{
		entityRow:     b.rebind(entitySelect + ` WHERE id = ?`),
		entityTimers:  b.rebind(entityTimersSQL),
		answer:        b.rebind(answerSQL),
		insertTimer:   b.rebind(insertTimer),
		insertHistory: b.rebind(insertHistorySQL),
	}
	return b
}

// rebind binds a statement written with ? to the dialect's placeholders
// (nothing to do for SQLite's ?).
func (b *Base) rebind(q string) string { return sqlx.Rebind(b.bind, q) }

// inTx runs fn in a write transaction.
func (b *Base) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := b.d.Writer.BeginTxx(ctx, nil)
	if err != nil {
		return b.d.MapErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return b.d.MapErr(err)
	}
	return b.d.MapErr(tx.Commit())
}

// timeColumn reads a time column whichever way the driver gives it: the
// RFC 3339 text SQLite stores (a text that does not parse is the zero
// time), or a time (PostgreSQL's timestamptz; SQLite's driver too, for a
// column declared DATETIME or TIMESTAMP), in UTC.
type timeColumn struct{ time.Time }

// Scan implements sql.Scanner.
func (t *timeColumn) Scan(v any) error {
	switch v := v.(type) {
	case string:
		t.Time, _ = time.Parse(time.RFC3339Nano, v)
	case []byte:
		t.Time, _ = time.Parse(time.RFC3339Nano, string(v))
	case time.Time:
		t.Time = v.UTC()
	case nil:
		t.Time = time.Time{}
	default:
		return fmt.Errorf("a time column holds a %T", v)
	}
	return nil
}
