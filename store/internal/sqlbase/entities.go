package sqlbase

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

type entityRow struct {
	ID         string     `db:"id"`
	MachineID  string     `db:"machine_id"`
	Revision   int        `db:"revision"`
	State      string     `db:"state"`
	Context    string     `db:"context"`
	Version    int        `db:"version"`
	HistoryLen int        `db:"history_len"`
	EnteredAt  timeColumn `db:"entered_at"`
	CreatedAt  timeColumn `db:"created_at"`
	UpdatedAt  timeColumn `db:"updated_at"`
}

const entitySelect = `SELECT id, machine_id, revision, state, context, version, history_len, entered_at, created_at, updated_at FROM entities`

func (r entityRow) entity() (*store.Entity, error) {
	e := &store.Entity{ID: r.ID, MachineID: r.MachineID, Revision: r.Revision, State: r.State, Version: r.Version,
		HistoryLen: r.HistoryLen, EnteredAt: r.EnteredAt.Time, CreatedAt: r.CreatedAt.Time,
		UpdatedAt: r.UpdatedAt.Time, Timers: []store.Timer{}, ContextBytes: len(r.Context)}
	if err := json.Unmarshal([]byte(r.Context), &e.Context); err != nil {
		return nil, &store.Error{Code: store.EINTERNAL, Message: "the stored context of entity " + r.ID + " cannot be read", Err: err}
	}
	if e.Context == nil {
		e.Context = engine.Context{}
	}
	return e, nil
}

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
func (b *Base) InsertEntity(ctx context.Context, e *store.Entity, first *store.HistoryRecord) error {
	ctxJSON, err := json.Marshal(e.Context)
	if err != nil {
		return err
	}
	return b.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO entities (id, machine_id, revision, state, context, version, history_len, entered_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), e.ID, e.MachineID, e.Revision, e.State, string(ctxJSON), e.Version, e.HistoryLen,
			b.d.Time(e.EnteredAt), b.d.Time(e.CreatedAt), b.d.Time(e.UpdatedAt)); err != nil {
			if b.d.IsUnique(err) {
				return store.Errorf(store.ECONFLICT, "entity %q already exists", e.ID)
			}
			return err
		}
		if err := b.InsertHistory(ctx, tx, e.ID, first); err != nil {
			return err
		}
		for i := range e.Timers {
			if err := b.InsertTimer(ctx, tx, &e.Timers[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// HistoryColumns are the columns of a history row, in AppendHistory's
// order; HistoryValues counts them.
const (
	HistoryColumns = `entity_id, seq, trigger, payload, source_state, target_state, success, error, actions, by_timer, idempotency_key, request_hash, response, actor, at`
	HistoryValues  = 15
)

const insertHistorySQL = `INSERT INTO history (` + HistoryColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// InsertHistory writes an entity's history row.
func (b *Base) InsertHistory(ctx context.Context, tx *sqlx.Tx, entityID string, h *store.HistoryRecord) error {
	_, err := tx.ExecContext(ctx, b.hot.insertHistory, b.AppendHistory(make([]any, 0, HistoryValues), entityID, h)...)
	return err
}

// AppendHistory appends the values of a history row (HistoryColumns) to args.
func (b *Base) AppendHistory(args []any, entityID string, h *store.HistoryRecord) []any {
	return append(args, entityID, h.Seq, h.Trigger, nullable(h.Payload), h.SourceState, h.TargetState, h.Success, nullable(h.Error), string(h.Actions),
		h.ByTimer, nullString(h.IdempotencyKey), nullString(h.RequestHash), nullable(h.Response), h.Actor, b.d.Time(h.At))
}

// GetEntity returns an entity with its pending timers.
func (b *Base) GetEntity(ctx context.Context, id string) (*store.Entity, error) {
	e, err := b.EntityRow(ctx, id)
	if err != nil {
		return nil, err
	}
	if e.Timers, err = b.EntityTimers(ctx, id); err != nil {
		return nil, err
	}
	return e, nil
}

// EntityRow returns an entity without its timers.
func (b *Base) EntityRow(ctx context.Context, id string) (*store.Entity, error) {
	var row entityRow
	err := b.d.Reader.GetContext(ctx, &row, b.hot.entityRow, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("entity", id)
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	return row.entity()
}

const entityTimersSQL = `SELECT ` + TimerColumns + ` FROM timers WHERE entity_id = ? ORDER BY due_at, id`

// EntityTimers lists an entity's pending timers, earliest first.
func (b *Base) EntityTimers(ctx context.Context, id string) ([]store.Timer, error) {
	var timers []TimerRow
	if err := b.d.Reader.SelectContext(ctx, &timers, b.hot.entityTimers, id); err != nil {
		return nil, b.d.MapErr(err)
	}
	out := make([]store.Timer, len(timers))
	for i, t := range timers {
		out[i] = t.Timer()
	}
	return out, nil
}

// ListEntities lists entities, most recently updated first.
func (b *Base) ListEntities(ctx context.Context, machineID string, states []string, limit, offset int) ([]*store.Entity, error) {
	q := entitySelect
	var where []string
	var args []any
	if machineID != "" {
		where = append(where, `machine_id = ?`)
		args = append(args, machineID)
	}
	switch {
	case states == nil: // any state
	case b.d.ArrayArgs:
		where = append(where, `state = ANY(?)`)
		args = append(args, states)
	default:
		where = append(where, `state IN (?`+strings.Repeat(`, ?`, len(states)-1)+`)`)
		for _, s := range states {
			args = append(args, s)
		}
	}
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY updated_at DESC, id LIMIT ? OFFSET ?`
	args = append(args, limit, offset)
	return b.selectEntities(ctx, b.rebind(q), args...)
}

// selectEntities reads the entities a query of entitySelect finds.
func (b *Base) selectEntities(ctx context.Context, q string, args ...any) ([]*store.Entity, error) {
	var rows []entityRow
	if err := b.d.Reader.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, b.d.MapErr(err)
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
	At             timeColumn     `db:"at"`
}

// History returns a page of an entity's history.
func (b *Base) History(ctx context.Context, entityID string, q store.HistoryQuery) ([]store.HistoryEvent, error) {
	var n int
	if err := b.d.Reader.GetContext(ctx, &n, b.rebind(`SELECT COUNT(*) FROM entities WHERE id = ?`), entityID); err != nil {
		return nil, b.d.MapErr(err)
	}
	if n == 0 {
		return nil, notFound("entity", entityID)
	}
	const cols = `SELECT seq, trigger, payload, source_state, target_state, success, error, actions, by_timer, idempotency_key, actor, at FROM history WHERE entity_id = ?`
	var rows []historyRow
	var err error
	switch {
	case q.Newest && q.Before > 0:
		err = b.d.Reader.SelectContext(ctx, &rows, b.rebind(cols+` AND seq < ? ORDER BY seq DESC LIMIT ?`), entityID, q.Before, q.Limit)
	case q.Newest:
		err = b.d.Reader.SelectContext(ctx, &rows, b.rebind(cols+` ORDER BY seq DESC LIMIT ?`), entityID, q.Limit)
	default:
		err = b.d.Reader.SelectContext(ctx, &rows, b.rebind(cols+` AND seq > ? ORDER BY seq LIMIT ?`), entityID, q.After, q.Limit)
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	out := make([]store.HistoryEvent, 0, len(rows))
	for _, r := range rows {
		h := store.HistoryEvent{Seq: r.Seq, Trigger: r.Trigger, SourceState: r.SourceState, TargetState: r.TargetState,
			Success: r.Success, ByTimer: r.ByTimer, Actor: r.Actor, At: r.At.Time, Actions: []string{}}
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

const answerSQL = `SELECT request_hash, response FROM history WHERE entity_id = ? AND idempotency_key = ?`

// Answer returns what an idempotency key recorded.
func (b *Base) Answer(ctx context.Context, entityID, key string) (*store.StoredAnswer, error) {
	var row struct {
		RequestHash sql.NullString `db:"request_hash"`
		Response    sql.NullString `db:"response"`
	}
	err := b.d.Reader.GetContext(ctx, &row, b.hot.answer, entityID, key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	return &store.StoredAnswer{RequestHash: row.RequestHash.String, Response: []byte(row.Response.String)}, nil
}

// EntitiesAfter lists a migration's next entities, in id order.
func (b *Base) EntitiesAfter(ctx context.Context, machineID string, notRevision, onRevision int, afterID string, limit int) ([]*store.Entity, error) {
	return b.selectEntities(ctx, b.rebind(entitySelect+` WHERE machine_id = ? AND revision != ? AND (? = 0 OR revision = ?) AND id > ? ORDER BY id LIMIT ?`),
		machineID, notRevision, onRevision, onRevision, afterID, limit)
}
