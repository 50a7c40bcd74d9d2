package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/statorhq/stator/engine"
)

// MaxIdempotencyKey is the longest idempotency key accepted, in bytes.
const MaxIdempotencyKey = 256

// SendEvent processes an event for an entity: load, process, then write
// state, context (payload merged in on success), a history row and timers in
// one transaction, committed with other entities' events (group commit).
//
// The guards are evaluated before the write, outside the writer that other
// entities' events wait on, and stop when ctx is done. The write compares
// the entity's history length with the one the event was computed on; if
// another event came first (here or on another server), the event is
// computed again on the new entity, up to Options.MaxRetries times.
//
// A refused event is recorded in the history and changes nothing else. An
// idempotency key seen before for the entity returns the first answer and
// writes nothing; the same key with another trigger or payload is
// ErrKeyReused.
func (s *Store) SendEvent(ctx context.Context, entityID string, ev Event) (*Outcome, error) {
	if ev.Trigger == "" {
		return nil, Errorf(EINVALID, "trigger is required: the name of the event to send")
	}
	if len(ev.IdempotencyKey) > MaxIdempotencyKey {
		return nil, Errorf(EINVALID, "idempotency_key is %d bytes; the limit is %d", len(ev.IdempotencyKey), MaxIdempotencyKey)
	}
	return s.send(ctx, entityID, ev, 0)
}

// FireTimer processes a timer's trigger for its entity, like an event (guards
// still apply), with an idempotency key derived from the timer. It returns
// (nil, nil) when the timer was cancelled or fired meanwhile.
func (s *Store) FireTimer(ctx context.Context, t Timer) (*Outcome, error) {
	out, err := s.send(ctx, t.EntityID, Event{Trigger: t.Trigger, IdempotencyKey: "timer:" + strconv.FormatInt(t.ID, 10), Actor: SchedulerActor}, t.ID)
	if errors.Is(err, ErrTimerGone) {
		return nil, nil
	}
	if err == nil && out.Replayed {
		return nil, nil // fired before, by this or another instance
	}
	if err == nil && s.metrics != nil {
		s.metrics.TimerFired(s.clock.Now().Sub(t.DueAt))
	}
	return out, err
}

func (s *Store) send(ctx context.Context, entityID string, ev Event, timerID int64) (*Outcome, error) {
	select {
	case <-s.quit:
		return nil, ErrClosed
	default:
	}
	start := time.Now()
	var payloadJSON []byte
	if len(ev.Payload) > 0 {
		b, err := json.Marshal(ev.Payload)
		if err != nil {
			return nil, &Error{Code: EINVALID, Message: "the payload cannot be stored as JSON", Err: err}
		}
		// the history row keeps the payload, refused events included; one
		// larger than a context could never be merged anyway
		if len(b) > s.opts.Limits.MaxContextBytes {
			return nil, &Error{Code: ETOOLARGE, Detail: "context_too_large",
				Message: "the payload is " + strconv.Itoa(len(b)) + " bytes of JSON; an entity's context, which it merges into, is limited to " +
					strconv.Itoa(s.opts.Limits.MaxContextBytes)}
		}
		payloadJSON = b
	}
	var reqHash string
	if ev.IdempotencyKey != "" {
		reqHash = requestHash(ev.Trigger, payloadJSON)
	}
	unlock, err := s.locks.lock(ctx, entityID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for attempt := 0; ; attempt++ {
		out, err := s.attempt(ctx, entityID, ev, timerID, payloadJSON, reqHash)
		if errors.Is(err, errRetry) {
			if attempt < s.opts.MaxRetries {
				backoff(ctx, attempt)
				continue
			}
			return nil, Errorf(ECONFLICT, "the entity %q changed %d times while this event was processed; send it again", entityID, attempt+1)
		}
		if s.metrics != nil && err == nil && !out.Replayed {
			code := ""
			if out.Result.Error != nil {
				code = out.Result.Error.Code
			}
			s.metrics.EventProcessed(code, time.Since(start))
		}
		return out, err
	}
}

// backoff waits a little before an event is computed again after losing
// its compare-and-swap several times in a row: a random pause, growing with
// the attempts (at most ~20 ms), so that two servers sending to one hot
// entity stop meeting in lockstep.
func backoff(ctx context.Context, attempt int) {
	if attempt < 2 {
		return
	}
	d := time.Duration(rand.Int64N(int64(min(attempt, 20)) * int64(time.Millisecond)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// errRetry means the entity changed between read and write: compute again.
var errRetry = errors.New("entity changed; retry")

// loadEntity reads an entity for an event: its row, and its timers when
// its states arm timers at all (an entity's timers were all armed by its
// active states) or when asked.
func (s *Store) loadEntity(ctx context.Context, id string, timers bool) (*Entity, error) {
	e, err := s.db.EntityRow(ctx, id)
	if err != nil {
		return nil, err
	}
	if !timers {
		m, err := s.Compiled(ctx, e.MachineID, e.Revision)
		if err != nil {
			return nil, err
		}
		timers = m.HasTimers(e.State)
	}
	if timers {
		if e.Timers, err = s.db.EntityTimers(ctx, id); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (s *Store) attempt(ctx context.Context, entityID string, ev Event, timerID int64, payloadJSON []byte, reqHash string) (*Outcome, error) {
	if ev.IdempotencyKey != "" {
		ans, err := s.db.Answer(ctx, entityID, ev.IdempotencyKey)
		switch {
		case err == nil:
			return s.replay(ctx, entityID, ev.IdempotencyKey, ans, reqHash)
		case !errors.Is(err, ErrNotFound):
			return nil, err
		}
	}
	// the entity as this instance last wrote it, else as stored; a stale
	// copy (another instance wrote since) loses the compare-and-swap below
	// and is read again. A timer is always checked against the database.
	e, cached := s.ents.get(entityID)
	if !cached || timerID > 0 {
		var err error
		if e, err = s.loadEntity(ctx, entityID, timerID > 0); err != nil {
			return nil, err
		}
	}
	m, err := s.Compiled(ctx, e.MachineID, e.Revision)
	if err != nil {
		return nil, err
	}
	if timerID > 0 && !hasTimer(e.Timers, timerID) {
		return nil, ErrTimerGone
	}
	gv := ev.GuardValues
	if gv == nil {
		gv = engine.GuardValues{}
	}
	res := m.ProcessWith(e.State, ev.Trigger, e.Context, engine.ProcessOptions{Payload: ev.Payload, GuardValues: gv, Done: ctx.Done()})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	cur := engine.EntityState{State: e.State, Context: e.Context, EnteredAt: e.EnteredAt, Timers: make([]engine.PendingTimer, len(e.Timers))}
	for i, t := range e.Timers {
		cur.Timers[i] = t.pending()
	}
	next, changes := m.Next(cur, &res, ev.Payload, now)

	after := *e
	after.State, after.Context, after.EnteredAt = next.State, next.Context, next.EnteredAt.UTC()
	after.HistoryLen = e.HistoryLen + 1
	after.UpdatedAt = now
	if res.Success {
		after.Version = e.Version + 1
	}
	if len(payloadJSON) > 0 && res.Success {
		// the merged context is what the row will hold: refuse it whole
		b, err := s.contextJSON(after.Context)
		if err != nil {
			return nil, err
		}
		after.ContextBytes = len(b)
	}
	w := &EventWrite{EntityID: entityID, Base: e.HistoryLen, Entity: &after, TimerID: timerID}
	for _, t := range changes.Cancelled {
		w.Cancel = append(w.Cancel, t.ID)
	}
	for _, t := range changes.Armed {
		w.Arm = append(w.Arm, &Timer{EntityID: entityID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs, DueAt: t.Due.UTC()})
	}
	detached := res.Detach()
	h := &HistoryRecord{Seq: after.HistoryLen, Trigger: ev.Trigger, Payload: payloadJSON, SourceState: e.State,
		TargetState: after.State, Success: res.Success, ByTimer: timerID > 0, IdempotencyKey: ev.IdempotencyKey,
		Actor: actorOf(ctx, ev.Actor), At: now}
	if res.Error != nil {
		h.Error, _ = json.Marshal(res.Error)
	}
	h.Actions, _ = json.Marshal(orEmpty(res.AllActions))
	if ev.IdempotencyKey != "" {
		h.RequestHash = reqHash
		if h.Response, err = json.Marshal(detached); err != nil {
			return nil, &Error{Code: EINTERNAL, Message: "encode the result", Err: err}
		}
	}
	w.History = h
	if err := s.submit(ctx, w); err != nil {
		return nil, err
	}
	switch {
	case w.Err == nil:
	case errors.Is(w.Err, ErrTimerGone):
		s.ents.forget(entityID)
		return nil, ErrTimerGone
	case errors.Is(w.Err, ErrConflict):
		s.ents.forget(entityID)
		return nil, errRetry
	default:
		s.ents.forget(entityID)
		return nil, w.Err
	}
	// the entity's timers now: those kept, with the new ones' ids
	after.Timers = make([]Timer, 0, len(next.Timers))
	cancelled := map[int64]bool{}
	for _, id := range w.Cancel {
		cancelled[id] = true
	}
	for _, t := range e.Timers {
		if !cancelled[t.ID] && t.ID != timerID {
			after.Timers = append(after.Timers, t)
		}
	}
	for _, t := range w.Arm {
		after.Timers = append(after.Timers, *t)
	}
	sortStoredTimers(after.Timers)
	if len(w.Arm) > 0 {
		s.nudgeScheduler()
	}
	cp := after
	s.ents.put(&cp)
	return &Outcome{Result: detached, Entity: &after}, nil
}

// replay answers a repeated idempotency key with the first result and the
// entity as it is now.
func (s *Store) replay(ctx context.Context, entityID, key string, ans *StoredAnswer, reqHash string) (*Outcome, error) {
	if ans.RequestHash != "" && ans.RequestHash != reqHash {
		return nil, &Error{Code: EREUSED, Detail: "idempotency_key_reused",
			Message: "the idempotency key " + strconv.Quote(key) + " was used before for another trigger or payload; use a new key for a new event"}
	}
	out := &Outcome{Replayed: true}
	if len(ans.Response) > 0 {
		if err := unmarshalAnswer(ans.Response, &out.Result); err != nil {
			return nil, &Error{Code: EINTERNAL, Message: "the stored answer of idempotency key " + strconv.Quote(key) + " cannot be read", Err: err}
		}
	}
	e, err := s.db.GetEntity(ctx, entityID)
	if err != nil {
		return nil, err
	}
	out.Entity = e
	return out, nil
}

// unmarshalAnswer reads a stored answer: the result, or (rows written
// before answers stopped holding the entity) an object {result, entity}.
func unmarshalAnswer(b []byte, res *engine.Result) error {
	var old struct {
		Result *json.RawMessage `json:"result"`
	}
	if json.Unmarshal(b, &old) == nil && old.Result != nil {
		b = *old.Result
	}
	return json.Unmarshal(b, res)
}

func requestHash(trigger string, payload []byte) string {
	h := sha256.New()
	h.Write([]byte(trigger))
	h.Write([]byte{0})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func hasTimer(ts []Timer, id int64) bool {
	for _, t := range ts {
		if t.ID == id {
			return true
		}
	}
	return false
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
