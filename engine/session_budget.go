package engine

import (
	"errors"
	"time"
)

// ErrTimerBudget is returned by the bounded advances when they stopped
// because their budget of timer firings ran out while timers were still due.
var ErrTimerBudget = errors.New("the budget of timer firings ran out")

// AdvanceBounded is Advance with a budget: it fires at most maxFires timers.
// When the budget runs out while a timer is still due before the end, the
// clock stays at the due time of the last timer fired and ErrTimerBudget is
// returned with the number fired; otherwise the clock ends at now+d. A
// simulation replay uses it so that timers that re-arm each other (a
// ping-pong on `after: 1` advanced by years) cost a bounded amount of work.
func (s *Session) AdvanceBounded(d time.Duration, maxFires int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.clock.(*ManualClock)
	if !ok {
		return 0, ErrNotManualClock
	}
	end := mc.Now().Add(d)
	fired := 0
	for len(s.timers) > 0 && !s.timers[0].Due.After(end) {
		if fired >= maxFires {
			return fired, ErrTimerBudget
		}
		mc.Set(s.timers[0].Due)
		fired += s.fireDueBounded(maxFires - fired)
	}
	mc.Set(end)
	return fired, nil
}

// AdvanceToNextBounded is AdvanceToNext with a budget: it moves the manual
// clock to the next timer's due time and fires at most maxFires of the
// timers due then (timers with a zero delay can re-arm each other at the
// same instant). It returns ErrTimerBudget when timers were still due.
func (s *Session) AdvanceToNextBounded(maxFires int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.clock.(*ManualClock)
	if !ok {
		return 0, ErrNotManualClock
	}
	if len(s.timers) == 0 {
		return 0, nil
	}
	if maxFires <= 0 {
		return 0, ErrTimerBudget
	}
	mc.Set(s.timers[0].Due)
	fired := s.fireDueBounded(maxFires)
	if fired >= maxFires && len(s.timers) > 0 && !s.timers[0].Due.After(mc.Now()) {
		return fired, ErrTimerBudget
	}
	return fired, nil
}

// fireDueBounded fires at most n of the timers due at the clock's time,
// earliest first, and returns how many it fired. The caller holds s.mu.
func (s *Session) fireDueBounded(n int) int {
	now := s.clock.Now()
	fired := 0
	for fired < n && len(s.timers) > 0 && !s.timers[0].Due.After(now) {
		t := s.timers[0]
		s.timers = s.timers[1:]
		s.send(t.Trigger, nil, true)
		fired++
	}
	return fired
}

// HistorySince returns a copy of the history from index i on (indexes count
// from the session's creation or restore, as in History). A caller that
// follows a session event by event copies each step once, instead of the
// whole history each time.
func (s *Session) HistorySince(i int) []Step {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 0 {
		i = 0
	}
	if i >= len(s.history) {
		return nil
	}
	return append([]Step(nil), s.history[i:]...)
}
