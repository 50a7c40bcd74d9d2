package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/store"
)

// CommitEvents writes a batch of events in one transaction. Each event's
// entity row is updated only if its history length is still the one the
// event was computed on (compare-and-swap); a write that loses is skipped
// whole, with its Err set, before anything of it is written.
func (db *DB) CommitEvents(ctx context.Context, batch []*store.EventWrite) error {
	tx, err := db.w.BeginTxx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	for _, w := range batch {
		w.Err = nil
		if err := db.applyWrite(ctx, tx, w); err != nil {
			tx.Rollback()
			return mapErr(err)
		}
	}
	return mapErr(tx.Commit())
}

func (db *DB) applyWrite(ctx context.Context, tx *sqlx.Tx, w *store.EventWrite) error {
	e := w.Entity
	ctxJSON, err := json.Marshal(e.Context)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE entities SET revision = ?, state = ?, context = ?, version = ?, history_len = ?, entered_at = ?, updated_at = ?
		WHERE id = ? AND history_len = ? AND machine_id = ?`,
		e.Revision, e.State, string(ctxJSON), e.Version, e.HistoryLen, formatTime(e.EnteredAt), formatTime(e.UpdatedAt), w.EntityID, w.Base, e.MachineID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		w.Err = store.ErrConflict // another event came first, or the entity is gone
		return nil
	}
	if w.TimerID > 0 {
		res, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ?`, w.TimerID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// the entity did not change since the timer was seen, so the
			// timer cannot have gone: something else is wrong
			return errors.New("timer vanished under an unchanged entity")
		}
	}
	for _, id := range w.Cancel {
		if _, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ?`, id); err != nil {
			return err
		}
	}
	for _, t := range w.Arm {
		if err := insertTimer(ctx, tx, t); err != nil {
			return err
		}
	}
	return insertHistory(ctx, tx, w.EntityID, w.History)
}

// ClaimTimers leases due timers whose lease is free or expired.
func (db *DB) ClaimTimers(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.Timer, error) {
	var rows []timerRow
	err := db.w.SelectContext(ctx, &rows, `UPDATE timers SET claimed_until = ?
		WHERE id IN (SELECT id FROM timers WHERE due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY due_at, id LIMIT ?)
		RETURNING `+timerColumns,
		leaseUntil.UnixMilli(), now.UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Timer, len(rows))
	for i, r := range rows {
		out[i] = r.timer()
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DueAt.Equal(out[j].DueAt) {
			return out[i].DueAt.Before(out[j].DueAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// NextDue is the earliest due time of any timer.
func (db *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := db.r.GetContext(ctx, &next, `SELECT MIN(due_at) FROM timers`); err != nil {
		return time.Time{}, false, mapErr(err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(next.Int64).UTC(), true, nil
}

// PendingTimers counts the timers.
func (db *DB) PendingTimers(ctx context.Context) (int, error) {
	var n int
	err := db.r.GetContext(ctx, &n, `SELECT COUNT(*) FROM timers`)
	return n, mapErr(err)
}
