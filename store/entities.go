package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/engine"
)

// CreatedTrigger is the trigger of an entity's first history row.
const CreatedTrigger = "__entity_created__"

// Entity is a stored entity: its machine revision, state, context and timers.
type Entity struct {
	ID         string         `json:"id"`
	MachineID  string         `json:"machine_id"`
	Revision   int            `json:"revision"`
	State      string         `json:"state"`
	Context    engine.Context `json:"context"`
	Version    int            `json:"version"`
	HistoryLen int            `json:"history_len"`
	EnteredAt  time.Time      `json:"entered_at"`
	Timers     []Timer        `json:"timers"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// Timer is a pending timeout or delayed transition of an entity.
type Timer struct {
	ID       int64     `json:"id"`
	EntityID string    `json:"entity_id,omitempty"`
	Trigger  string    `json:"trigger"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"`
	AfterMs  int64     `json:"after_ms"`
	DueAt    time.Time `json:"due_at"`
}

type entityRow struct {
	ID         string `db:"id"`
	MachineID  string `db:"machine_id"`
	Revision   int    `db:"revision"`
	State      string `db:"state"`
	Context    string `db:"context"`
	Version    int    `db:"version"`
	HistoryLen int    `db:"history_len"`
	EnteredAt  string `db:"entered_at"`
	CreatedAt  string `db:"created_at"`
	UpdatedAt  string `db:"updated_at"`
}

const entitySelect = `SELECT id, machine_id, revision, state, context, version, history_len, entered_at, created_at, updated_at FROM entities`

func (r entityRow) entity() (*Entity, error) {
	e := &Entity{ID: r.ID, MachineID: r.MachineID, Revision: r.Revision, State: r.State, Version: r.Version,
		HistoryLen: r.HistoryLen, EnteredAt: parseTime(r.EnteredAt), CreatedAt: parseTime(r.CreatedAt),
		UpdatedAt: parseTime(r.UpdatedAt), Timers: []Timer{}}
	if err := json.Unmarshal([]byte(r.Context), &e.Context); err != nil {
		return nil, fmt.Errorf("entity %q: stored context: %w", r.ID, err)
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

func (t timerRow) timer() Timer {
	return Timer{ID: t.ID, EntityID: t.EntityID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs, DueAt: time.UnixMilli(t.DueAt).UTC()}
}

// NewEntity describes an entity to create: on a machine given by id, or by
// name (and version, else the latest).
type NewEntity struct {
	ID             string
	MachineID      string
	MachineName    string
	MachineVersion string
	Context        engine.Context
}

var entityIDRe = regexp.MustCompile(`^[A-Za-z0-9_.:@-]{1,128}$`)

// ValidEntityID reports whether id can name an entity (it appears in URLs).
func ValidEntityID(id string) bool { return entityIDRe.MatchString(id) }

// ErrInvalid is wrapped by errors about input the store refuses.
var ErrInvalid = errors.New("invalid input")

// CreateEntity creates an entity at its machine's initial state on the latest
// revision, arms the initial timers and writes the first history row.
func (s *Store) CreateEntity(ctx context.Context, ne NewEntity) (*Entity, error) {
	if ne.ID == "" {
		ne.ID = newID(12)
	} else if !ValidEntityID(ne.ID) {
		return nil, fmt.Errorf("entity id %q: use 1 to 128 letters, digits and _ . : @ -: %w", ne.ID, ErrInvalid)
	}
	var mach *Machine
	var err error
	switch {
	case ne.MachineID != "":
		mach, err = s.GetMachine(ctx, ne.MachineID)
	case ne.MachineName != "":
		mach, err = s.FindMachine(ctx, ne.MachineName, ne.MachineVersion)
	default:
		return nil, fmt.Errorf("give machine_id or machine_name: %w", ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	m, err := s.Compiled(ctx, mach.ID, mach.Revision)
	if err != nil {
		return nil, err
	}
	c := ne.Context
	if c == nil {
		c = engine.Context{}
	}
	ctxJSON, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("context: %v: %w", err, ErrInvalid)
	}
	now := s.clock.Now()
	ts := formatTime(now)
	state := m.InitialState()
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM entities WHERE id = ?`, ne.ID); err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("entity %q already exists: %w", ne.ID, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO entities (id, machine_id, revision, state, context, version, history_len, entered_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?)`, ne.ID, mach.ID, mach.Revision, state, string(ctxJSON), ts, ts, ts); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO history (entity_id, seq, trigger, payload, source_state, target_state, success, actions, at)
			VALUES (?, 1, ?, ?, '', ?, 1, '[]', ?)`, ne.ID, CreatedTrigger, string(ctxJSON), state, ts); err != nil {
			return err
		}
		return insertTimers(ctx, tx, ne.ID, m.InitialTimers(), now)
	})
	if err != nil {
		return nil, err
	}
	s.nudgeScheduler()
	return s.GetEntity(ctx, ne.ID)
}

func insertTimers(ctx context.Context, tx *sqlx.Tx, entityID string, ts []engine.Timer, now time.Time) error {
	for _, t := range ts {
		due := now.Add(time.Duration(t.AfterMs) * time.Millisecond).UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO timers (entity_id, trigger, kind, state, after_ms, due_at) VALUES (?, ?, ?, ?, ?, ?)`,
			entityID, t.Trigger, t.Kind, t.State, t.AfterMs, due); err != nil {
			return err
		}
	}
	return nil
}

// GetEntity returns an entity with its pending timers.
func (s *Store) GetEntity(ctx context.Context, id string) (*Entity, error) {
	return getEntity(ctx, s.r, id)
}

type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

func getEntity(ctx context.Context, q queryer, id string) (*Entity, error) {
	var row entityRow
	err := q.GetContext(ctx, &row, entitySelect+` WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("entity %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	e, err := row.entity()
	if err != nil {
		return nil, err
	}
	var timers []timerRow
	if err := q.SelectContext(ctx, &timers, `SELECT id, entity_id, trigger, kind, state, after_ms, due_at FROM timers WHERE entity_id = ? ORDER BY due_at, id`, id); err != nil {
		return nil, err
	}
	for _, t := range timers {
		e.Timers = append(e.Timers, t.timer())
	}
	return e, nil
}

// EntityFilter selects entities of a machine, optionally those in a state.
// A state matches when it is active in the entity's state (a leaf, one of its
// ancestors, or a region's state of a parallel configuration).
type EntityFilter struct {
	MachineID string
	State     string
	Limit     int // default 100, at most 1000
	Offset    int
}

// ListEntities lists entities, most recently updated first.
func (s *Store) ListEntities(ctx context.Context, f EntityFilter) ([]*Entity, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	q := entitySelect
	var args []any
	if f.MachineID != "" {
		q += ` WHERE machine_id = ?`
		args = append(args, f.MachineID)
	}
	q += ` ORDER BY updated_at DESC, id`
	if f.State == "" {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	var rows []entityRow
	if err := s.r.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	out := []*Entity{}
	skipped := 0
	for _, r := range rows {
		if f.State != "" {
			m, err := s.Compiled(ctx, r.MachineID, r.Revision)
			if err != nil || !m.IsActive(r.State, f.State) {
				continue
			}
			if skipped < f.Offset {
				skipped++
				continue
			}
			if len(out) >= f.Limit {
				break
			}
		}
		e, err := r.entity()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// MachineStats are the entity counts of one machine.
type MachineStats struct {
	MachineID string `json:"machine_id"`
	Total     int    `json:"total"`
	Live      int    `json:"live"`
	// Counts has, for every state, how many entities it is active in (a
	// parallel configuration counts in each region's state and the parallel
	// state; a leaf counts in its ancestors too).
	Counts map[string]int `json:"counts"`
	// ByState counts the entities' exact state strings.
	ByState map[string]int `json:"by_state"`
}

// Stats counts a machine's entities per state.
func (s *Store) Stats(ctx context.Context, machineID string) (*MachineStats, error) {
	if _, err := s.GetMachine(ctx, machineID); err != nil {
		return nil, err
	}
	var rows []struct {
		Revision int    `db:"revision"`
		State    string `db:"state"`
		N        int    `db:"n"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT revision, state, COUNT(*) AS n FROM entities WHERE machine_id = ? GROUP BY revision, state`, machineID); err != nil {
		return nil, err
	}
	st := &MachineStats{MachineID: machineID, Counts: map[string]int{}, ByState: map[string]int{}}
	for _, r := range rows {
		st.Total += r.N
		st.ByState[r.State] += r.N
		m, err := s.Compiled(ctx, machineID, r.Revision)
		if err != nil {
			st.Live += r.N
			continue
		}
		if !m.IsTerminal(r.State) {
			st.Live += r.N
		}
		active, err := m.ActiveStates(r.State)
		if err != nil {
			continue
		}
		for _, a := range active {
			st.Counts[a] += r.N
		}
	}
	return st, nil
}

// HistoryEvent is one row of an entity's history.
type HistoryEvent struct {
	Seq            int            `json:"seq"`
	Trigger        string         `json:"trigger"`
	Payload        engine.Context `json:"payload"`
	SourceState    string         `json:"source_state"`
	TargetState    string         `json:"target_state"`
	Success        bool           `json:"success"`
	Error          *engine.Error  `json:"error"`
	Actions        []string       `json:"actions"`
	ByTimer        bool           `json:"by_timer"`
	IdempotencyKey *string        `json:"idempotency_key"`
	At             time.Time      `json:"at"`
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
	At             string         `db:"at"`
}

// History returns an entity's events, oldest first.
func (s *Store) History(ctx context.Context, entityID string) ([]HistoryEvent, error) {
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT COUNT(*) FROM entities WHERE id = ?`, entityID); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("entity %q: %w", entityID, ErrNotFound)
	}
	var rows []historyRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT seq, trigger, payload, source_state, target_state, success, error, actions, by_timer, idempotency_key, at
		FROM history WHERE entity_id = ? ORDER BY seq`, entityID); err != nil {
		return nil, err
	}
	out := make([]HistoryEvent, 0, len(rows))
	for _, r := range rows {
		h := HistoryEvent{Seq: r.Seq, Trigger: r.Trigger, SourceState: r.SourceState, TargetState: r.TargetState,
			Success: r.Success, ByTimer: r.ByTimer, At: parseTime(r.At), Actions: []string{}}
		if r.Payload.Valid {
			_ = json.Unmarshal([]byte(r.Payload.String), &h.Payload)
		}
		if r.Error.Valid {
			h.Error = &engine.Error{}
			_ = json.Unmarshal([]byte(r.Error.String), h.Error)
		}
		_ = json.Unmarshal([]byte(r.Actions), &h.Actions)
		if r.IdempotencyKey.Valid {
			k := r.IdempotencyKey.String
			h.IdempotencyKey = &k
		}
		out = append(out, h)
	}
	return out, nil
}
