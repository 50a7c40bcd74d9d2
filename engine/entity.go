package engine

import (
	"sort"
	"time"
)

// EntityState is what an entity is between two events: the input and the
// output of [Machine.Next]. A Session holds one; a store keeps one per row.
type EntityState struct {
	State     string
	Context   Context
	EnteredAt time.Time
	// Timers are the entity's pending timers, earliest first.
	Timers []PendingTimer
}

// TimerChanges say what an event did to an entity's timers: the pending
// timers it cancelled (their state was left or entered again) and the ones
// it armed (the timers of the states it entered, due from the event's time).
type TimerChanges struct {
	Cancelled []PendingTimer
	Armed     []PendingTimer
}

// Next is the one entity step shared by sessions and stores: given an entity,
// the result of processing an event on it (with that payload) and the time
// of the event, it returns the entity after the event and what happened to
// its timers. It is pure: cur is not modified, and the returned context is
// cur's own map when the payload is empty (contexts are treated as values).
//
// A refused event changes nothing. An accepted one merges the payload into
// the context (payload wins); unless it is a no-op it moves the state, resets
// EnteredAt when the state string changes, cancels the timers of states that
// are no longer active or that were entered again, and arms res.Timers.
func (m *Machine) Next(cur EntityState, res *Result, payload Payload, now time.Time) (EntityState, TimerChanges) {
	next := cur
	var ch TimerChanges
	if !res.Success {
		return next, ch
	}
	if len(payload) > 0 {
		merged := make(Context, len(cur.Context)+len(payload))
		for k, v := range cur.Context {
			merged[k] = v
		}
		for k, v := range payload {
			merged[k] = cloneValue(v)
		}
		next.Context = merged
	}
	if res.Metadata.NoOp {
		return next, ch
	}
	if res.TargetState != cur.State {
		next.EnteredAt = now
	}
	next.State = res.TargetState
	reentered := make(map[string]bool, len(res.Timers))
	for _, t := range res.Timers {
		reentered[t.State] = true
	}
	kept := make([]PendingTimer, 0, len(cur.Timers)+len(res.Timers))
	for _, t := range cur.Timers {
		if reentered[t.State] || !m.IsActive(next.State, t.State) {
			ch.Cancelled = append(ch.Cancelled, t)
			continue
		}
		kept = append(kept, t)
	}
	for _, t := range res.Timers {
		pt := PendingTimer{Timer: t, Due: now.Add(time.Duration(t.AfterMs) * time.Millisecond)}
		ch.Armed = append(ch.Armed, pt)
		kept = append(kept, pt)
	}
	sortTimers(kept)
	next.Timers = kept
	return next, ch
}

// Start is the state of a new entity created at now with ctx: the initial
// state (resolved to a leaf or a parallel configuration) and its timers.
func (m *Machine) Start(ctx Context, now time.Time) EntityState {
	e := EntityState{State: m.start.target, Context: ctx, EnteredAt: now}
	for _, t := range m.start.timers {
		e.Timers = append(e.Timers, PendingTimer{Timer: t, Due: now.Add(time.Duration(t.AfterMs) * time.Millisecond)})
	}
	sortTimers(e.Timers)
	return e
}

func sortTimers(ts []PendingTimer) {
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Due.Before(ts[j].Due) })
}
