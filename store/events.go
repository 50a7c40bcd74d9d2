package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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

// runBatch applies a batch in one transaction, each event in its own
// savepoint so that one failing event does not undo the others.
func (s *Store) runBatch(batch []*eventReq) {
	ctx := context.Background()
	replies := make([]eventReply, len(batch))
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		for _, req := range batch {
			req.reply <- eventReply{err: fmt.Errorf("begin: %w", err)}
		}
		return
	}
	armed := false
	for i, req := range batch {
		if req.ctx.Err() != nil {
			replies[i].err = req.ctx.Err()
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT ev`); err != nil {
			replies[i].err = err
			continue
		}
		out, a, err := s.applyEvent(ctx, tx, req)
		if err != nil {
			_, _ = tx.ExecContext(ctx, `ROLLBACK TO ev`)
		}
		if _, rerr := tx.ExecContext(ctx, `RELEASE ev`); rerr != nil && err == nil {
			err = rerr
		}
		replies[i] = eventReply{out: out, err: err}
		armed = armed || a
	}
	if err := tx.Commit(); err != nil {
		s.log.Error("commit events", "err", err, "events", len(batch))
		for i := range replies {
			if replies[i].err == nil {
				replies[i] = eventReply{err: fmt.Errorf("commit: %w", err)}
			}
		}
	}
	for i, req := range batch {
		req.reply <- replies[i]
	}
	if armed {
		s.nudgeScheduler()
	}
}

// applyEvent is one event inside the batch transaction. It reports whether
// it armed timers.
func (s *Store) applyEvent(ctx context.Context, tx *sqlx.Tx, req *eventReq) (*Outcome, bool, error) {
	now := s.clock.Now()
	ts := formatTime(now)
	if req.timerID > 0 {
		res, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ?`, req.timerID)
		if err != nil {
			return nil, false, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, false, errTimerGone
		}
	}
	key := req.ev.IdempotencyKey
	if key != "" {
		var resp sql.NullString
		err := tx.GetContext(ctx, &resp, `SELECT response FROM history WHERE entity_id = ? AND idempotency_key = ?`, req.entityID, key)
		if err == nil {
			out := &Outcome{Replayed: true}
			if resp.Valid {
				if err := json.Unmarshal([]byte(resp.String), out); err != nil {
					return nil, false, fmt.Errorf("stored answer for idempotency key %q: %w", key, err)
				}
			}
			return out, false, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, err
		}
	}
	var row entityRow
	if err := tx.GetContext(ctx, &row, entitySelect+` WHERE id = ?`, req.entityID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, fmt.Errorf("entity %q: %w", req.entityID, ErrNotFound)
		}
		return nil, false, err
	}
	e, err := row.entity()
	if err != nil {
		return nil, false, err
	}
	m, err := s.compiledTx(ctx, tx, row.MachineID, row.Revision)
	if err != nil {
		return nil, false, err
	}
	gv := req.ev.GuardValues
	if gv == nil {
		gv = engine.GuardValues{}
	}
	res := m.ProcessWith(e.State, req.ev.Trigger, e.Context, engine.ProcessOptions{Payload: req.ev.Payload, GuardValues: gv})

	armed := false
	state, version, enteredAt := e.State, e.Version, row.EnteredAt
	ctxOut := e.Context
	if res.Success {
		version++
		for k, v := range req.ev.Payload {
			ctxOut[k] = v
		}
		if !res.Metadata.NoOp {
			if res.TargetState != state {
				enteredAt = ts
			}
			state = res.TargetState
			if err := retime(ctx, tx, m, req.entityID, state, res.Timers, now); err != nil {
				return nil, false, err
			}
			armed = len(res.Timers) > 0
		}
	}
	ctxJSON, err := json.Marshal(ctxOut)
	if err != nil {
		return nil, false, fmt.Errorf("context of %q: %w", req.entityID, err)
	}
	seq := row.HistoryLen + 1
	if _, err := tx.ExecContext(ctx, `UPDATE entities SET state = ?, context = ?, version = ?, history_len = ?, entered_at = ?, updated_at = ? WHERE id = ?`,
		state, string(ctxJSON), version, seq, enteredAt, ts, req.entityID); err != nil {
		return nil, false, err
	}
	after, err := getEntity(ctx, tx, req.entityID)
	if err != nil {
		return nil, false, err
	}
	out := &Outcome{Result: res.Detach(), Entity: after}
	if err := insertHistory(ctx, tx, req, seq, e.State, state, &res, out, ts); err != nil {
		return nil, false, err
	}
	return out, armed, nil
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

// retime cancels the timers of states the entity left (or entered again) and
// arms those of the states it entered.
func retime(ctx context.Context, tx *sqlx.Tx, m *engine.Machine, entityID, state string, armed []engine.Timer, now time.Time) error {
	var rows []timerRow
	if err := tx.SelectContext(ctx, &rows, `SELECT id, entity_id, trigger, kind, state, after_ms, due_at FROM timers WHERE entity_id = ?`, entityID); err != nil {
		return err
	}
	reentered := map[string]bool{}
	for _, t := range armed {
		reentered[t.State] = true
	}
	for _, t := range rows {
		if reentered[t.State] || !m.IsActive(state, t.State) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM timers WHERE id = ?`, t.ID); err != nil {
				return err
			}
		}
	}
	return insertTimers(ctx, tx, entityID, armed, now)
}
