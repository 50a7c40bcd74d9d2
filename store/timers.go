package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// maxIdle is how long the scheduler sleeps when no timer is pending; a new
// timer wakes it earlier.
const maxIdle = time.Minute

// scheduler fires due timers through the event path, including timers that
// came due while the server was down. A timer fires at most once: its row is
// deleted in the transaction that processes it.
func (s *Store) scheduler() {
	defer s.wg.Done()
	for {
		wait := s.fireDue()
		t := time.NewTimer(wait)
		select {
		case <-s.quit:
			t.Stop()
			return
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

func (s *Store) nudgeScheduler() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// fireDue fires every timer due now and returns how long to wait for the next.
func (s *Store) fireDue() time.Duration {
	ctx := context.Background()
	for {
		now := s.clock.Now()
		due, err := s.DueTimers(ctx, now, 256)
		if err != nil {
			s.log.Error("read due timers", "err", err)
			return time.Second
		}
		if len(due) == 0 {
			break
		}
		for _, t := range due {
			if _, err := s.FireTimer(ctx, t); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Error("fire timer", "entity", t.EntityID, "trigger", t.Trigger, "err", err)
			}
		}
		select {
		case <-s.quit:
			return time.Second
		default:
		}
	}
	var next sql.NullInt64
	if err := s.r.GetContext(ctx, &next, `SELECT MIN(due_at) FROM timers`); err != nil || !next.Valid {
		return maxIdle
	}
	wait := time.UnixMilli(next.Int64).Sub(s.clock.Now())
	if wait < 0 {
		wait = 0
	}
	if wait > maxIdle {
		wait = maxIdle
	}
	return wait
}

// DueTimers lists timers due at now, earliest first.
func (s *Store) DueTimers(ctx context.Context, now time.Time, limit int) ([]Timer, error) {
	var rows []timerRow
	if err := s.r.SelectContext(ctx, &rows, `SELECT id, entity_id, trigger, kind, state, after_ms, due_at FROM timers WHERE due_at <= ? ORDER BY due_at, id LIMIT ?`,
		now.UnixMilli(), limit); err != nil {
		return nil, err
	}
	out := make([]Timer, len(rows))
	for i, r := range rows {
		out[i] = r.timer()
	}
	return out, nil
}

// FireTimer processes a timer's trigger for its entity, like an event (guards
// still apply). It returns (nil, nil) when the timer was cancelled or fired
// meanwhile.
func (s *Store) FireTimer(ctx context.Context, t Timer) (*Outcome, error) {
	out, err := s.submit(ctx, &eventReq{ctx: ctx, entityID: t.EntityID, ev: Event{Trigger: t.Trigger}, timerID: t.ID, reply: make(chan eventReply, 1)})
	if errors.Is(err, errTimerGone) {
		return nil, nil
	}
	return out, err
}
