package sqlbase

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/store"
)

// TimerRow is a row of the timers table (TimerColumns); due times are unix
// milliseconds in both dialects.
type TimerRow struct {
	ID       int64  `db:"id"`
	EntityID string `db:"entity_id"`
	Trigger  string `db:"trigger"`
	Kind     string `db:"kind"`
	State    string `db:"state"`
	AfterMs  int64  `db:"after_ms"`
	DueAt    int64  `db:"due_at"`
}

// TimerColumns are the columns of a TimerRow.
const TimerColumns = `id, entity_id, trigger, kind, state, after_ms, due_at`

// Timer is the row as a store.Timer.
func (t TimerRow) Timer() store.Timer {
	return store.Timer{ID: t.ID, EntityID: t.EntityID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs, DueAt: time.UnixMilli(t.DueAt).UTC()}
}

// Claimed turns the rows a claim returned (in no order) into timers,
// earliest first.
func Claimed(rows []TimerRow) []store.Timer {
	out := make([]store.Timer, len(rows))
	for i, r := range rows {
		out[i] = r.Timer()
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DueAt.Equal(out[j].DueAt) {
			return out[i].DueAt.Before(out[j].DueAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

const insertTimerSQL = `INSERT INTO timers (entity_id, trigger, kind, state, after_ms, due_at) VALUES (?, ?, ?, ?, ?, ?)`

// InsertTimer inserts a timer and sets its ID.
func (b *Base) InsertTimer(ctx context.Context, tx *sqlx.Tx, t *store.Timer) error {
	if b.d.ReturningID {
		return tx.GetContext(ctx, &t.ID, b.hot.insertTimer, t.EntityID, t.Trigger, t.Kind, t.State, t.AfterMs, t.DueAt.UnixMilli())
	}
	res, err := tx.ExecContext(ctx, b.hot.insertTimer, t.EntityID, t.Trigger, t.Kind, t.State, t.AfterMs, t.DueAt.UnixMilli())
	if err != nil {
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// NextDue is the earliest due time of any timer.
func (b *Base) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := b.d.Reader.GetContext(ctx, &next, `SELECT MIN(due_at) FROM timers`); err != nil {
		return time.Time{}, false, b.d.MapErr(err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(next.Int64).UTC(), true, nil
}

// PendingTimers counts the timers.
func (b *Base) PendingTimers(ctx context.Context) (int, error) {
	var n int
	err := b.d.Reader.GetContext(ctx, &n, `SELECT COUNT(*) FROM timers`)
	return n, b.d.MapErr(err)
}
