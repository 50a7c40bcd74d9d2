package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/engine"
)

// Event is an event sent to an entity.
type Event struct {
	Trigger        string
	Payload        engine.Context
	IdempotencyKey string
	// GuardValues answer unbound guards; names not listed count as true.
	GuardValues engine.GuardValues
}

// Outcome is the answer to an event: the engine's result and the entity after
// it. Replayed is set when an idempotency key returned the first answer.
type Outcome struct {
	Result   engine.Result `json:"result"`
	Entity   *Entity       `json:"entity"`
	Replayed bool          `json:"-"`
}

type eventReq struct {
	ctx      context.Context
	entityID string
	ev       Event
	timerID  int64 // set when the scheduler fires a timer
	reply    chan eventReply
}

type eventReply struct {
	out *Outcome
	err error
}

// errTimerGone means a timer was cancelled or already fired: nothing to do.
var errTimerGone = errors.New("timer no longer pending")

// SendEvent processes an event for an entity in one transaction: load, process,
// write state, context (payload merged in on success), a history row and
// timers. Events from all callers go through one writer that commits them in
// batches, so concurrent events on one entity never lose an update, and an
// acknowledged event is on disk. A refused event is recorded in the history
// and changes nothing else. An idempotency key seen before for the entity
// returns the first answer and writes nothing.
func (s *Store) SendEvent(ctx context.Context, entityID string, ev Event) (*Outcome, error) {
	if ev.Trigger == "" {
		return nil, fmt.Errorf("an event needs a trigger: %w", ErrInvalid)
	}
	return s.submit(ctx, &eventReq{ctx: ctx, entityID: entityID, ev: ev, reply: make(chan eventReply, 1)})
}

func (s *Store) submit(ctx context.Context, req *eventReq) (*Outcome, error) {
	select {
	case <-s.quit:
		return nil, ErrClosed
	default:
	}
	select {
	case s.events <- req:
	case <-s.quit:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.out, r.err
	case <-ctx.Done():
		// the event may still be applied; the caller has gone
		return nil, ctx.Err()
	}
}

// writer applies queued events in batches until the store closes, then
// drains what is queued.
func (s *Store) writer() {
	defer s.wg.Done()
	batch := make([]*eventReq, 0, s.opts.MaxBatch)
	for {
		select {
		case req := <-s.events:
			batch = append(batch[:0], req)
		case <-s.quit:
			for {
				select {
				case req := <-s.events:
					s.runBatch([]*eventReq{req})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < s.opts.MaxBatch {
			select {
			case req := <-s.events:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		s.runBatch(batch)
	}
}

// runBatch applies a batch in one transaction and one commit (group commit).
// If an event fails after it started writing, the batch is rolled back and
// its events are applied one transaction each, so that one bad event cannot
// undo the others.
func (s *Store) runBatch(batch []*eventReq) {
	ctx := context.Background()
	replies := make([]eventReply, len(batch))
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		s.replyAll(batch, fmt.Errorf("begin: %w", err))
		return
	}
	armed := false
	for i, req := range batch {
		if req.ctx.Err() != nil {
			replies[i].err = req.ctx.Err()
			continue
		}
		out, a, dirty, err := s.applyEvent(ctx, tx, req)
		if err != nil && dirty {
			_ = tx.Rollback()
			s.log.Warn("event failed mid-batch; applying the batch one event at a time", "entity", req.entityID, "err", err)
			for _, r := range batch {
				s.runOne(ctx, r)
			}
			return
		}
		replies[i] = eventReply{out: out, err: err}
		armed = armed || a
	}
	if err := tx.Commit(); err != nil {
		s.log.Error("commit events", "err", err, "events", len(batch))
		s.replyAll(batch, fmt.Errorf("commit: %w", err))
		return
	}
	for i, req := range batch {
		req.reply <- replies[i]
	}
	if armed {
		s.nudgeScheduler()
	}
	// The replies just readied the batch's handlers on this goroutine's P.
	// Yield, so that they answer their clients now rather than after the next
	// batch: the writer holds its P through its short cgo calls, so without
	// this the answers wait a whole batch (measured: +20% events/s, lower p99).
	runtime.Gosched()
}

// runOne applies one event in its own transaction.
func (s *Store) runOne(ctx context.Context, req *eventReq) {
	if req.ctx.Err() != nil {
		req.reply <- eventReply{err: req.ctx.Err()}
		return
	}
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		req.reply <- eventReply{err: fmt.Errorf("begin: %w", err)}
		return
	}
	out, armed, _, err := s.applyEvent(ctx, tx, req)
	if err != nil {
		_ = tx.Rollback()
		req.reply <- eventReply{err: err}
		return
	}
	if err := tx.Commit(); err != nil {
		req.reply <- eventReply{err: fmt.Errorf("commit: %w", err)}
		return
	}
	req.reply <- eventReply{out: out}
	if armed {
		s.nudgeScheduler()
	}
}

func (s *Store) replyAll(batch []*eventReq, err error) {
	for _, req := range batch {
		req.reply <- eventReply{err: err}
	}
}

// applyEvent is one event inside a transaction. It reports whether it armed
// timers, and whether it had written anything when it failed (dirty).
func (s *Store) applyEvent(ctx context.Context, tx *sqlx.Tx, req *eventReq) (out *Outcome, armed, dirty bool, err error) {
	now := s.clock.Now()
	ts := formatTime(now)
	if req.timerID > 0 {
		res, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ?`, req.timerID)
		if err != nil {
			return nil, false, true, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, false, false, errTimerGone
		}
		dirty = true
	}
	key := req.ev.IdempotencyKey
	if key != "" {
		var resp sql.NullString
		err := tx.GetContext(ctx, &resp, `SELECT response FROM history WHERE entity_id = ? AND idempotency_key = ?`, req.entityID, key)
		if err == nil {
			out := &Outcome{Replayed: true}
			if resp.Valid {
				if err := json.Unmarshal([]byte(resp.String), out); err != nil {
					return nil, false, dirty, fmt.Errorf("stored answer for idempotency key %q: %w", key, err)
				}
			}
			return out, false, dirty, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, dirty, err
		}
	}
	var row entityRow
	if err := tx.GetContext(ctx, &row, entitySelect+` WHERE id = ?`, req.entityID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, dirty, fmt.Errorf("entity %q: %w", req.entityID, ErrNotFound)
		}
		return nil, false, dirty, err
	}
	e, err := row.entity()
	if err != nil {
		return nil, false, dirty, err
	}
	m, err := s.compiledTx(ctx, tx, row.MachineID, row.Revision)
	if err != nil {
		return nil, false, dirty, err
	}
	var timers []timerRow
	if m.HasTimers(row.State) {
		if err := tx.SelectContext(ctx, &timers, `SELECT id, entity_id, trigger, kind, state, after_ms, due_at FROM timers WHERE entity_id = ? ORDER BY due_at, id`, req.entityID); err != nil {
			return nil, false, dirty, err
		}
	}
	gv := req.ev.GuardValues
	if gv == nil {
		gv = engine.GuardValues{}
	}
	res := m.ProcessWith(e.State, req.ev.Trigger, e.Context, engine.ProcessOptions{Payload: req.ev.Payload, GuardValues: gv})

	if res.Success {
		e.Version++
		for k, v := range req.ev.Payload {
			e.Context[k] = v
		}
		if !res.Metadata.NoOp {
			if res.TargetState != e.State {
				e.EnteredAt = now.UTC()
			}
			e.State = res.TargetState
			dirty = true
			if timers, err = retime(ctx, tx, m, req.entityID, e.State, timers, res.Timers, now); err != nil {
				return nil, false, true, err
			}
			armed = len(res.Timers) > 0
		}
	}
	for _, t := range timers {
		e.Timers = append(e.Timers, t.timer())
	}
	ctxJSON, err := json.Marshal(e.Context)
	if err != nil {
		return nil, false, dirty, fmt.Errorf("context of %q: %w", req.entityID, err)
	}
	e.HistoryLen++
	e.UpdatedAt = now.UTC()
	dirty = true
	if _, err := tx.ExecContext(ctx, `UPDATE entities SET state = ?, context = ?, version = ?, history_len = ?, entered_at = ?, updated_at = ? WHERE id = ?`,
		e.State, string(ctxJSON), e.Version, e.HistoryLen, formatTime(e.EnteredAt), ts, req.entityID); err != nil {
		return nil, false, true, err
	}
	out = &Outcome{Result: res.Detach(), Entity: e}
	if err := insertHistory(ctx, tx, req, e.HistoryLen, row.State, e.State, &res, out, ts); err != nil {
		return nil, false, true, err
	}
	return out, armed, true, nil
}

func insertHistory(ctx context.Context, tx *sqlx.Tx, req *eventReq, seq int, from, to string, res *engine.Result, out *Outcome, at string) error {
	var payload, errJSON, key, response any
	if len(req.ev.Payload) > 0 {
		b, err := json.Marshal(req.ev.Payload)
		if err != nil {
			return fmt.Errorf("payload: %w", err)
		}
		payload = string(b)
	}
	if res.Error != nil {
		b, _ := json.Marshal(res.Error)
		errJSON = string(b)
	}
	actions, _ := json.Marshal(orEmpty(res.AllActions))
	if req.ev.IdempotencyKey != "" {
		key = req.ev.IdempotencyKey
		b, err := json.Marshal(out)
		if err != nil {
			return err
		}
		response = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO history (entity_id, seq, trigger, payload, source_state, target_state, success, error, actions, by_timer, idempotency_key, response, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		req.entityID, seq, req.ev.Trigger, payload, from, to, res.Success, errJSON, string(actions), req.timerID > 0, key, response, at)
	return err
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// retime cancels the timers of states the entity left (or entered again),
// arms those of the states it entered, and returns the entity's timers now.
func retime(ctx context.Context, tx *sqlx.Tx, m *engine.Machine, entityID, state string, current []timerRow, armed []engine.Timer, now time.Time) ([]timerRow, error) {
	reentered := map[string]bool{}
	for _, t := range armed {
		reentered[t.State] = true
	}
	kept := current[:0]
	for _, t := range current {
		if reentered[t.State] || !m.IsActive(state, t.State) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ?`, t.ID); err != nil {
				return nil, err
			}
			continue
		}
		kept = append(kept, t)
	}
	for _, t := range armed {
		due := now.Add(time.Duration(t.AfterMs) * time.Millisecond).UnixMilli()
		res, err := tx.ExecContext(ctx, `INSERT INTO timers (entity_id, trigger, kind, state, after_ms, due_at) VALUES (?, ?, ?, ?, ?, ?)`,
			entityID, t.Trigger, t.Kind, t.State, t.AfterMs, due)
		if err != nil {
			return nil, err
		}
		id, _ := res.LastInsertId()
		kept = append(kept, timerRow{ID: id, EntityID: entityID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs, DueAt: due})
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].DueAt < kept[j].DueAt })
	return kept, nil
}
