package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

type entityRow struct {
	ID         string    `db:"id"`
	MachineID  string    `db:"machine_id"`
	Revision   int       `db:"revision"`
	State      string    `db:"state"`
	Context    string    `db:"context"`
	Version    int       `db:"version"`
	HistoryLen int       `db:"history_len"`
	EnteredAt  time.Time `db:"entered_at"`
	CreatedAt  time.Time `db:"created_at"`
	UpdatedAt  time.Time `db:"updated_at"`
}

const entitySelect = `SELECT id, machine_id, revision, state, context, version, history_len, entered_at, created_at, updated_at FROM entities`

func (r entityRow) entity() (*store.Entity, error) {
	e := &store.Entity{ID: r.ID, MachineID: r.MachineID, Revision: r.Revision, State: r.State, Version: r.Version,
		HistoryLen: r.HistoryLen, EnteredAt: parseTime(r.EnteredAt), CreatedAt: parseTime(r.CreatedAt),
		UpdatedAt: parseTime(r.UpdatedAt), Timers: []store.Timer{}, ContextBytes: len(r.Context)}
	if err := json.Unmarshal([]byte(r.Context), &e.Context); err != nil {
		return nil, &store.Error{Code: store.EINTERNAL, Message: "the stored context of entity " + r.ID + " cannot be read", Err: err}
	}
	if e.Context == nil {
		e.Context = engine.Context{}
	}
	return e, nil
}

type timerRow struct {
	ID       int64  `db:"id"`
	EntityID string `db:"entity_id"`
	Trigger  string `db:"trigger"`
	Kind     string `db:"kind"`
	State    string `db:"state"`
	AfterMs  int64  `db:"after_ms"`
	DueAt    int64  `db:"due_at"`
}

const timerColumns = `id, entity_id, trigger, kind, state, after_ms, due_at`

func (t timerRow) timer() store.Timer {
	return store.Timer{ID: t.ID, EntityID: t.EntityID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs, DueAt: time.UnixMilli(t.DueAt).UTC()}
}

func itoa(i int) string { return strconv.Itoa(i) }

func nullable(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// InsertEntity stores a new entity, its first history row and its timers.
func (db *DB) InsertEntity(ctx context.Context, e *store.Entity, first *store.HistoryRecord) error {
	ctxJSON, err := json.Marshal(e.Context)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO entities (id, machine_id, revision, state, context, version, history_len, entered_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, e.ID, e.MachineID, e.Revision, e.State, string(ctxJSON), e.Version, e.HistoryLen,
			formatTime(e.EnteredAt), formatTime(e.CreatedAt), formatTime(e.UpdatedAt)); err != nil {
			if isUnique(err) {
				return store.Errorf(store.ECONFLICT, "entity %q already exists", e.ID)
			}
			return err
		}
		if err := insertHistory(ctx, tx, e.ID, first); err != nil {
			return err
		}
		for i := range e.Timers {
			if err := insertTimer(ctx, tx, &e.Timers[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertTimer(ctx context.Context, tx *sqlx.Tx, t *store.Timer) error {
	return tx.GetContext(ctx, &t.ID, `INSERT INTO timers (entity_id, trigger, kind, state, after_ms, due_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		t.EntityID, t.Trigger, t.Kind, t.State, t.AfterMs, t.DueAt.UnixMilli())
}

func insertHistory(ctx context.Context, tx *sqlx.Tx, entityID string, h *store.HistoryRecord) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO history (entity_id, seq, trigger, payload, source_state, target_state, success, error, actions, by_timer, idempotency_key, request_hash, response, actor, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		entityID, h.Seq, h.Trigger, nullable(h.Payload), h.SourceState, h.TargetState, h.Success, nullable(h.Error), string(h.Actions),
		h.ByTimer, nullString(h.IdempotencyKey), nullString(h.RequestHash), nullable(h.Response), h.Actor, formatTime(h.At))
	return err
}

// GetEntity returns an entity with its pending timers.
func (db *DB) GetEntity(ctx context.Context, id string) (*store.Entity, error) {
	e, err := db.EntityRow(ctx, id)
	if err != nil {
		return nil, err
	}
	if e.Timers, err = db.EntityTimers(ctx, id); err != nil {
		return nil, err
	}
	return e, nil
}

// EntityRow returns an entity without its timers.
func (db *DB) EntityRow(ctx context.Context, id string) (*store.Entity, error) {
	var row entityRow
	err := db.db.GetContext(ctx, &row, entitySelect+` WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("entity", id)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return row.entity()
}

// EntityTimers lists an entity's pending timers, earliest first.
func (db *DB) EntityTimers(ctx context.Context, id string) ([]store.Timer, error) {
	var timers []timerRow
	if err := db.db.SelectContext(ctx, &timers, `SELECT `+timerColumns+` FROM timers WHERE entity_id = $1 ORDER BY due_at, id`, id); err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.Timer, len(timers))
	for i, t := range timers {
		out[i] = t.timer()
	}
	return out, nil
}

// ListEntities lists entities, most recently updated first.
func (db *DB) ListEntities(ctx context.Context, machineID string, states []string, limit, offset int) ([]*store.Entity, error) {
	q := entitySelect
	var where []string
	var args []any
	if machineID != "" {
		args = append(args, machineID)
		where = append(where, `machine_id = $1`)
	}
	if states != nil {
		args = append(args, states)
		where = append(where, `state = ANY($`+itoa(len(args))+`)`)
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	args = append(args, limit, offset)
	q += ` ORDER BY updated_at DESC, id LIMIT $` + itoa(len(args)-1) + ` OFFSET $` + itoa(len(args))
	var rows []entityRow
	if err := db.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*store.Entity, 0, len(rows))
	for _, r := range rows {
		e, err := r.entity()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

type historyRow struct {
	Seq            int            `db:"seq"`
	Trigger        string         `db:"trigger"`
	Payload        sql.NullString `db:"payload"`
	SourceState    string         `db:"source_state"`
	TargetState    string         `db:"target_state"`
	Success        bool           `db:"success"`
	Error          sql.NullString `db:"error"`
	Actions        string         `db:"actions"`
	ByTimer        bool           `db:"by_timer"`
	IdempotencyKey sql.NullString `db:"idempotency_key"`
	Actor          string         `db:"actor"`
	At             time.Time      `db:"at"`
}

// History returns a page of an entity's history.
func (db *DB) History(ctx context.Context, entityID string, q store.HistoryQuery) ([]store.HistoryEvent, error) {
	var n int
	if err := db.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM entities WHERE id = $1`, entityID); err != nil {
		return nil, mapErr(err)
	}
	if n == 0 {
		return nil, notFound("entity", entityID)
	}
	const cols = `SELECT seq, trigger, payload, source_state, target_state, success, error, actions, by_timer, idempotency_key, actor, at FROM history WHERE entity_id = $1`
	var rows []historyRow
	var err error
	switch {
	case q.Newest && q.Before > 0:
		err = db.db.SelectContext(ctx, &rows, cols+` AND seq < $2 ORDER BY seq DESC LIMIT $3`, entityID, q.Before, q.Limit)
	case q.Newest:
		err = db.db.SelectContext(ctx, &rows, cols+` ORDER BY seq DESC LIMIT $2`, entityID, q.Limit)
	default:
		err = db.db.SelectContext(ctx, &rows, cols+` AND seq > $2 ORDER BY seq LIMIT $3`, entityID, q.After, q.Limit)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]store.HistoryEvent, 0, len(rows))
	for _, r := range rows {
		h := store.HistoryEvent{Seq: r.Seq, Trigger: r.Trigger, SourceState: r.SourceState, TargetState: r.TargetState,
			Success: r.Success, ByTimer: r.ByTimer, Actor: r.Actor, At: parseTime(r.At), Actions: []string{}}
		if r.Payload.Valid {
			_ = json.Unmarshal([]byte(r.Payload.String), &h.Payload)
		}
		if r.Error.Valid {
			h.Error = &engine.Error{}
			_ = json.Unmarshal([]byte(r.Error.String), h.Error)
		}
		_ = json.Unmarshal([]byte(r.Actions), &h.Actions)
		h.IdempotencyKey = r.IdempotencyKey.String
		out = append(out, h)
	}
	return out, nil
}

// Answer returns what an idempotency key recorded.
func (db *DB) Answer(ctx context.Context, entityID, key string) (*store.StoredAnswer, error) {
	var row struct {
		RequestHash sql.NullString `db:"request_hash"`
		Response    sql.NullString `db:"response"`
	}
	err := db.db.GetContext(ctx, &row, `SELECT request_hash, response FROM history WHERE entity_id = $1 AND idempotency_key = $2`, entityID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return &store.StoredAnswer{RequestHash: row.RequestHash.String, Response: []byte(row.Response.String)}, nil
}

// EntitiesAfter lists a migration's next entities, in id order.
func (db *DB) EntitiesAfter(ctx context.Context, machineID string, notRevision, onRevision int, afterID string, limit int) ([]*store.Entity, error) {
	var rows []entityRow
	if err := db.db.SelectContext(ctx, &rows, entitySelect+` WHERE machine_id = $1 AND revision != $2 AND ($3 = 0 OR revision = $3) AND id > $4 ORDER BY id LIMIT $5`, machineID, notRevision, onRevision, afterID, limit); err != nil {
		return nil, mapErr(err)
	}
	out := make([]*store.Entity, 0, len(rows))
	for _, r := range rows {
		e, err := r.entity()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}
