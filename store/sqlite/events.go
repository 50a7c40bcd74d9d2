package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/internal/sqlbase"
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
		if err := db.InsertTimer(ctx, tx, t); err != nil {
			return err
		}
	}
	return db.InsertHistory(ctx, tx, w.EntityID, w.History)
}

// ClaimTimers leases due timers whose lease is free or expired.
func (db *DB) ClaimTimers(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.Timer, error) {
	var rows []sqlbase.TimerRow
	err := db.w.SelectContext(ctx, &rows, `UPDATE timers SET claimed_until = ?
		WHERE id IN (SELECT id FROM timers WHERE due_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY due_at, id LIMIT ?)
		RETURNING `+sqlbase.TimerColumns,
		leaseUntil.UnixMilli(), now.UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	return sqlbase.Claimed(rows), nil
}
