package store

import (
	"context"
	"errors"
	"time"
)

// scheduler fires due timers through the event path, including timers that
// came due while the server was down or whose lease another instance let
// expire. A timer is claimed (leased) before it is fired and its row is
// deleted in the transaction that processes it, so it fires exactly once
// even when instances die between the two. It looks at least every
// PollInterval, because other instances arm timers too.
func (s *Store) scheduler() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.quit
		cancel()
	}()
	for {
		wait := s.fireDue(ctx)
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

// claimBatch is how many due timers one claim takes.
const claimBatch = 256

// fireDue fires every timer due now and returns how long to wait for the next.
func (s *Store) fireDue(ctx context.Context) time.Duration {
	poll := s.opts.PollInterval
	for ctx.Err() == nil {
		now := s.clock.Now()
		due, err := s.db.ClaimTimers(ctx, now, now.Add(s.opts.Lease), claimBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claim due timers", "err", err)
			}
			return poll
		}
		for _, t := range due {
			if _, err := s.FireTimer(ctx, t); err != nil && !errors.Is(err, ErrClosed) && ctx.Err() == nil {
				s.log.Error("fire timer", "entity", t.EntityID, "trigger", t.Trigger, "err", err)
			}
		}
		if len(due) < claimBatch {
			break
		}
	}
	next, ok, err := s.db.NextDue(ctx)
	if err != nil || !ok {
		return poll
	}
	wait := next.Sub(s.clock.Now())
	if wait < 0 {
		// due but leased by another instance (or failing): look again later
		wait = poll
	}
	return min(wait, poll)
}

// FireDue fires every timer due at the store clock's time, now (tests and
// tools that run without the scheduler).
func (s *Store) FireDue(ctx context.Context) (int, error) {
	n := 0
	for {
		now := s.clock.Now()
		due, err := s.db.ClaimTimers(ctx, now, now.Add(s.opts.Lease), claimBatch)
		if err != nil {
			return n, err
		}
		for _, t := range due {
			out, err := s.FireTimer(ctx, t)
			if err != nil {
				return n, err
			}
			if out != nil {
				n++
			}
		}
		if len(due) < claimBatch {
			return n, nil
		}
	}
}
