package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Session is one entity's life on a machine (SPEC 4): its state, context,
// history and pending timers, on an injected clock. The web simulator and the
// store use it. It is safe for concurrent use.
type Session struct {
	mu        sync.Mutex
	m         *Machine
	state     string
	ctx       Context
	enteredAt time.Time
	history   []Step
	histBase  int // history entries before a Restore
	timers    []PendingTimer
	clock     Clock
	values    GuardValues
	observer  *Observer
}

// Step is one event in a session's history.
type Step struct {
	Seq     int       `json:"seq"`
	Trigger string    `json:"trigger"`
	Payload Context   `json:"payload,omitempty"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	Success bool      `json:"success"`
	Error   *Error    `json:"error,omitempty"`
	Actions []string  `json:"actions"`
	Timer   bool      `json:"timer,omitempty"` // fired by a timer
	At      time.Time `json:"at"`
	Result  Result    `json:"result"`
}

// PendingTimer is an armed timeout or delayed transition.
type PendingTimer struct {
	Timer
	Due time.Time `json:"due"`
	// ID identifies the timer where it is stored (a store's row); sessions
	// leave it zero.
	ID int64 `json:"id,omitempty"`
}

// SessionOption configures a session.
type SessionOption func(*Session)

// WithClock runs the session on clock. Without it a session runs on a
// virtual ManualClock that starts at the zero time and moves only with Advance.
func WithClock(c Clock) SessionOption { return func(s *Session) { s.clock = c } }

// WithGuardValues answers the machine's unbound guards (see GuardValues).
func WithGuardValues(v GuardValues) SessionOption { return func(s *Session) { s.values = v } }

// WithObserver processes the session's events through an observer's hooks.
func WithObserver(o *Observer) SessionOption { return func(s *Session) { s.observer = o } }

func newSession(m *Machine, opts []SessionOption) *Session {
	s := &Session{m: m}
	for _, o := range opts {
		o(s)
	}
	if s.clock == nil {
		s.clock = NewManualClock(time.Time{})
	}
	return s
}

// Create starts a session at the machine's initial state (resolved to a leaf or
// a parallel configuration) with a copy of ctx, arming the initial timers.
func (m *Machine) Create(ctx Context, opts ...SessionOption) *Session {
	s := newSession(m, opts)
	s.setEntity(m.Start(ctx.Clone(), s.clock.Now()))
	return s
}

func (s *Session) entity() EntityState {
	return EntityState{State: s.state, Context: s.ctx, EnteredAt: s.enteredAt, Timers: s.timers}
}

func (s *Session) setEntity(e EntityState) {
	s.state, s.ctx, s.enteredAt, s.timers = e.State, e.Context, e.EnteredAt, e.Timers
}

// State is the current state or parallel configuration.
func (s *Session) State() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Machine is the machine the session runs on.
func (s *Session) Machine() *Machine { return s.m }

// Is reports whether the named state is active (the current state, one of its
// ancestors, or a region's state in a parallel configuration).
func (s *Session) Is(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.IsActive(s.state, name)
}

// IsFinal reports whether the session is in a terminal state.
func (s *Session) IsFinal() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m.IsTerminal(s.state)
}

// Context returns a copy of the session's context.
func (s *Session) Context() Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx.Clone()
}

// SetContext replaces the session's context with a copy of ctx (the
// simulator's context form). The state does not change.
func (s *Session) SetContext(ctx Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx.Clone()
}

// EnteredAt is when the current state was entered.
func (s *Session) EnteredAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enteredAt
}

// History returns a copy of the steps since the session was created or restored.
func (s *Session) History() []Step {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Step(nil), s.history...)
}

// Timers returns the pending timers, earliest first.
func (s *Session) Timers() []PendingTimer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PendingTimer(nil), s.timers...)
}

// Now is the session clock's time.
func (s *Session) Now() time.Time { return s.clock.Now() }

// Send processes an event. On success the payload is merged into the context,
// the state moves, the timers of exited states are cancelled and those of the
// entered states armed. A refused event changes nothing but the history.
func (s *Session) Send(trigger string, payload Payload) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.send(trigger, payload, false)
}

func (s *Session) send(trigger string, payload Payload, byTimer bool) Result {
	opts := ProcessOptions{Payload: payload, GuardValues: s.values}
	var res Result
	if s.observer != nil {
		res = s.observer.Process(s.m, s.state, trigger, s.ctx, opts)
	} else {
		res = s.m.ProcessWith(s.state, trigger, s.ctx, opts)
	}
	now := s.clock.Now()
	from := s.state
	next, _ := s.m.Next(s.entity(), &res, payload, now)
	s.setEntity(next)
	step := Step{
		Seq: s.histBase + len(s.history) + 1, Trigger: trigger, Payload: payload.Clone(), From: from, To: s.state,
		Success: res.Success, Error: res.Error, Actions: append([]string{}, res.AllActions...), Timer: byTimer, At: now,
		Result: res.Detach(),
	}
	if len(payload) == 0 {
		step.Payload = nil
	}
	s.history = append(s.history, step)
	return res
}

// maxFiresPerCall bounds FireDue, so that zero-delay timer loops cannot hang.
const maxFiresPerCall = 10000

// FireDue fires every timer due at the clock's time, earliest first, each
// processed like an event (guards still apply), and returns their results.
func (s *Session) FireDue() []Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fireDue()
}

func (s *Session) fireDue() []Result {
	var out []Result
	now := s.clock.Now()
	for i := 0; i < maxFiresPerCall && len(s.timers) > 0 && !s.timers[0].Due.After(now); i++ {
		t := s.timers[0]
		s.timers = s.timers[1:]
		out = append(out, s.send(t.Trigger, nil, true))
	}
	return out
}

// ErrNotManualClock is returned by Advance when the session's clock is not a
// ManualClock (a real clock cannot be moved).
var ErrNotManualClock = errors.New("the session clock is not a ManualClock")

// Advance moves the session's manual clock forward by d and fires the timers
// that came due, in order (the clock stops at each timer's due time).
func (s *Session) Advance(d time.Duration) ([]Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.clock.(*ManualClock)
	if !ok {
		return nil, ErrNotManualClock
	}
	end := mc.Now().Add(d)
	var out []Result
	for len(s.timers) > 0 && !s.timers[0].Due.After(end) && len(out) < maxFiresPerCall {
		mc.Set(s.timers[0].Due)
		out = append(out, s.fireDue()...)
	}
	mc.Set(end)
	return out, nil
}

// AdvanceToNext moves the manual clock to the next timer's due time and fires
// what is due then. It returns no results when no timer is pending.
func (s *Session) AdvanceToNext() ([]Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	mc, ok := s.clock.(*ManualClock)
	if !ok {
		return nil, ErrNotManualClock
	}
	if len(s.timers) == 0 {
		return nil, nil
	}
	mc.Set(s.timers[0].Due)
	return s.fireDue(), nil
}

// SnapshotVersion is the version of the snapshot format.
const SnapshotVersion = 1

// Snapshot is a session's persistent form (versioned JSON).
type Snapshot struct {
	SnapshotVersion int            `json:"snapshot_version"`
	Machine         string         `json:"machine"`
	Version         string         `json:"version"`
	State           string         `json:"state"`
	Context         Context        `json:"context"`
	EnteredAt       time.Time      `json:"entered_at"`
	HistoryLen      int            `json:"history_len"`
	Timers          []PendingTimer `json:"timers"`
}

// Snapshot captures the session so that Restore can continue it later.
func (s *Session) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Snapshot{
		SnapshotVersion: SnapshotVersion, Machine: s.m.Name(), Version: s.m.Version(), State: s.state,
		Context: s.ctx.Clone(), EnteredAt: s.enteredAt, HistoryLen: s.histBase + len(s.history),
		Timers: append([]PendingTimer{}, s.timers...),
	}
}

// ErrSnapshot is wrapped by Restore's errors.
var ErrSnapshot = errors.New("cannot restore snapshot")

// Restore continues a session from a snapshot on m. The machine name must
// match and the state must exist in m.
func Restore(m *Machine, snap Snapshot, opts ...SessionOption) (*Session, error) {
	if snap.SnapshotVersion != SnapshotVersion {
		return nil, fmt.Errorf("%w: snapshot version %d, this engine reads version %d", ErrSnapshot, snap.SnapshotVersion, SnapshotVersion)
	}
	if snap.Machine != m.Name() {
		return nil, fmt.Errorf("%w: it is for machine %q, not %q", ErrSnapshot, snap.Machine, m.Name())
	}
	if err := m.ValidState(snap.State); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	s := newSession(m, opts)
	s.state = snap.State
	s.ctx = snap.Context.Clone()
	s.enteredAt = snap.EnteredAt
	s.histBase = snap.HistoryLen
	s.timers = append([]PendingTimer(nil), snap.Timers...)
	sortTimers(s.timers)
	return s, nil
}

// RestoreJSON is Restore from the snapshot's JSON.
func RestoreJSON(m *Machine, data []byte, opts ...SessionOption) (*Session, error) {
	var snap Snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	return Restore(m, snap, opts...)
}
