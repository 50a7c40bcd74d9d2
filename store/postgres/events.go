package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/internal/sqlbase"
)

// CommitEvents writes a batch of events in one transaction with a few
// multi-row statements, whatever the batch's size: one UPDATE compares and
// swaps every entity (an entity whose history length moved is left out, and
// its write gets ErrConflict), then the timers that fired or were cancelled
// are deleted, the new ones inserted and the history rows written, for the
// events that won only.
func (db *DB) CommitEvents(ctx context.Context, batch []*store.EventWrite) error {
	tx, err := db.db.BeginTxx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	if err := db.commitBatch(ctx, tx, batch); err != nil {
		tx.Rollback()
		for _, w := range batch {
			w.Err = nil
		}
		return mapErr(err)
	}
	return mapErr(tx.Commit())
}

func (db *DB) commitBatch(ctx context.Context, tx *sqlx.Tx, batch []*store.EventWrite) error {
	// 1. compare and swap every entity in one statement; an entity written
	// twice in one batch keeps only its first write (the second loses its
	// comparison and is computed again by the store)
	var q strings.Builder
	q.WriteString(`UPDATE entities AS e SET revision = v.revision, state = v.state, context = v.context, version = v.version, history_len = v.history_len,
		entered_at = v.entered_at, updated_at = v.updated_at
		FROM (VALUES `)
	args := make([]any, 0, 10*len(batch))
	seen := map[string]bool{}
	n := 0
	// rows are locked in entity id order in every batch, so that two
	// instances' batches wait for each other but never deadlock
	ordered := append([]*store.EventWrite(nil), batch...)
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].EntityID < ordered[j].EntityID })
	for _, w := range ordered {
		w.Err = nil
		if seen[w.EntityID] {
			w.Err = store.ErrConflict
			continue
		}
		seen[w.EntityID] = true
		ctxJSON, err := json.Marshal(w.Entity.Context)
		if err != nil {
			return err
		}
		if n > 0 {
			q.WriteString(", ")
		}
		k := len(args)
		q.WriteString("($" + strconv.Itoa(k+1) + "::text, $" + strconv.Itoa(k+2) + "::int, $" + strconv.Itoa(k+3) + "::int, $" + strconv.Itoa(k+4) + "::text, $" + strconv.Itoa(k+5) +
			"::text, $" + strconv.Itoa(k+6) + "::int, $" + strconv.Itoa(k+7) + "::int, $" + strconv.Itoa(k+8) + "::timestamptz, $" + strconv.Itoa(k+9) + "::timestamptz, $" +
			strconv.Itoa(k+10) + "::text)")
		e := w.Entity
		args = append(args, w.EntityID, w.Base, e.Revision, e.State, string(ctxJSON), e.Version, e.HistoryLen, e.EnteredAt.UTC(), e.UpdatedAt.UTC(), e.MachineID)
		n++
	}
	if n == 0 {
		return nil
	}
	q.WriteString(`) AS v(id, base, revision, state, context, version, history_len, entered_at, updated_at, machine_id)
		WHERE e.id = v.id AND e.history_len = v.base AND e.machine_id = v.machine_id RETURNING e.id`)
	var won []string
	if err := tx.SelectContext(ctx, &won, q.String(), args...); err != nil {
		return err
	}
	applied := make(map[string]bool, len(won))
	for _, id := range won {
		applied[id] = true
	}
	var live []*store.EventWrite
	for _, w := range batch {
		if w.Err != nil {
			continue
		}
		if !applied[w.EntityID] {
			w.Err = store.ErrConflict // another event came first, or the entity is gone
			continue
		}
		live = append(live, w)
	}
	if len(live) == 0 {
		return nil
	}
	// 2. timers: the fired ones must be there (their entity did not change
	// since they were seen); the cancelled ones go
	var fired, cancel []int64
	for _, w := range live {
		if w.TimerID > 0 {
			fired = append(fired, w.TimerID)
		}
		cancel = append(cancel, w.Cancel...)
	}
	if len(fired) > 0 {
		res, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ANY($1)`, fired)
		if err != nil {
			return err
		}
		if got, _ := res.RowsAffected(); got != int64(len(fired)) {
			return errors.New("a fired timer vanished under an unchanged entity")
		}
	}
	if len(cancel) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ANY($1)`, cancel); err != nil {
			return err
		}
	}
	var arm []*store.Timer
	for _, w := range live {
		arm = append(arm, w.Arm...)
	}
	if len(arm) > 0 {
		if err := insertTimers(ctx, tx, arm); err != nil {
			return err
		}
	}
	// 3. the history rows
	rows := make([]historyInsert, len(live))
	for i, w := range live {
		rows[i] = historyInsert{w.EntityID, w.History}
	}
	return db.insertHistories(ctx, tx, rows)
}

// insertTimers inserts timers in one statement and sets their IDs. The ids
// are taken from the sequence first, so that each timer knows its own
// whatever order RETURNING would give.
func insertTimers(ctx context.Context, tx *sqlx.Tx, ts []*store.Timer) error {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT nextval(pg_get_serial_sequence('timers', 'id')) FROM generate_series(1, $1)`, len(ts)); err != nil {
		return err
	}
	if len(ids) != len(ts) {
		return errors.New("insert timers: the sequence gave the wrong number of ids")
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO timers (id, entity_id, trigger, kind, state, after_ms, due_at) OVERRIDING SYSTEM VALUE VALUES `)
	args := make([]any, 0, 7*len(ts))
	for i, t := range ts {
		if i > 0 {
			q.WriteString(", ")
		}
		placeholders(&q, len(args), 7)
		args = append(args, ids[i], t.EntityID, t.Trigger, t.Kind, t.State, t.AfterMs, t.DueAt.UnixMilli())
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return err
	}
	for i, t := range ts {
		t.ID = ids[i]
	}
	return nil
}

type historyInsert struct {
	entityID string
	h        *store.HistoryRecord
}

// insertHistories writes history rows in one statement.
func (db *DB) insertHistories(ctx context.Context, tx *sqlx.Tx, rows []historyInsert) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO history (` + sqlbase.HistoryColumns + `) VALUES `)
	args := make([]any, 0, sqlbase.HistoryValues*len(rows))
	for i, r := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		placeholders(&q, len(args), sqlbase.HistoryValues)
		args = db.AppendHistory(args, r.entityID, r.h)
	}
	_, err := tx.ExecContext(ctx, q.String(), args...)
	return err
}

// placeholders writes ($k+1, ..., $k+n).
func placeholders(q *strings.Builder, k, n int) {
	q.WriteByte('(')
	for j := 1; j <= n; j++ {
		if j > 1 {
			q.WriteString(", ")
		}
		q.WriteByte('$')
		q.WriteString(strconv.Itoa(k + j))
	}
	q.WriteByte(')')
}

// ClaimTimers leases due timers whose lease is free or expired. Rows that
// another instance is claiming at this moment are skipped, not waited for.
func (db *DB) ClaimTimers(ctx context.Context, now, leaseUntil time.Time, limit int) ([]store.Timer, error) {
	var rows []sqlbase.TimerRow
	err := db.db.SelectContext(ctx, &rows, `UPDATE timers SET claimed_until = $1
		WHERE id IN (SELECT id FROM timers WHERE due_at <= $2 AND (claimed_until IS NULL OR claimed_until <= $2)
			ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+sqlbase.TimerColumns,
		leaseUntil.UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	return sqlbase.Claimed(rows), nil
}
