package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/statorhq/stator/engine"
)

// Run is a trace replayed on a machine: the log of every step replayed and
// the simulation at the cursor. It is what the simulator panel shows.
type Run struct {
	Trace   Trace   // the trace replayed (after the operation, when one was applied)
	Log     []Entry // one per step replayed, in order
	Cursor  Frame   // the simulation after Trace.At steps (or where the replay stopped)
	Firings int     // timers fired in the whole replay
	Kept    int     // log entries (events, changes, cancelled timers) kept in Log
	Omitted int     // log entries left out past Limits.MaxLogEntries
	// Stopped is set when the replay stopped before the end of the trace
	// because it fired Limits.MaxTimerFirings timers; the steps after
	// StoppedAt (0-based) are not in the log.
	Stopped   bool
	StoppedAt int
	// Notices are sentences for people about the replay's limits (it
	// stopped, the log is cut); the panel shows them.
	Notices []string
}

// Frame is the simulation at one moment.
type Frame struct {
	State       string
	Context     engine.Context
	Timers      []Timer       // pending, earliest first
	Clock       time.Duration // virtual time since the simulation started
	GuardValues engine.GuardValues
}

// Timer is a pending timer on the virtual clock.
type Timer struct {
	engine.Timer
	Due time.Duration // virtual time since the simulation started
}

// Entry is one step of the log.
type Entry struct {
	Index     int // the step's index in the trace (0-based)
	Kind      StepKind
	Label     string         // what the step did, for people: "execution_report {\"fill_qty\":50}", "advance 5s", "next timer"
	Future    bool           // after the cursor: undone, can be gone back to
	Events    []Event        // the events the step processed: its own, or the timers' it fired
	Changes   []Change       // how the context changed
	Cancelled []engine.Timer // pending timers that leaving their state cancelled
	Omitted   int            // entries of this step left out past Limits.MaxLogEntries
	Clock     time.Duration  // the virtual clock after the step
}

// Event is one event a step processed.
type Event struct {
	Trigger, From, To string
	Success           bool
	Error             string // the refusal's message
	Actions           []string
	ByTimer           bool
}

// Change is one key of the context that a step changed.
type Change struct {
	Key            string
	Before, After  any
	Added, Removed bool
}

// String is the change for people: "k = 1", "k removed", "k: 1 → 2", each
// value cut to MaxValueText characters.
func (c Change) String() string {
	switch {
	case c.Removed:
		return c.Key + " removed"
	case c.Added:
		return c.Key + " = " + ValueText(c.After)
	}
	return c.Key + ": " + ValueText(c.Before) + " → " + ValueText(c.After)
}

// epoch is where the virtual clock starts; frames give times relative to it.
func epoch() time.Time { return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }

// Replay replays t on m within lim. It is New followed by Run.
func Replay(m *engine.Machine, t Trace, lim Limits) (*Run, error) {
	s, err := New(m, t, lim)
	if err != nil {
		return nil, err
	}
	return s.Run(), nil
}

// Sim is a trace being replayed on a machine: Apply changes the trace by one
// operation, Run replays what is left and returns the result. The replay is
// incremental and done once: an operation that needs the context at the
// cursor replays up to it, and Run continues from there. A Sim is used by one
// goroutine.
type Sim struct {
	m     *engine.Machine
	lim   Limits
	trace Trace

	// the replay so far
	session  *engine.Session
	clock    *engine.ManualClock
	start    time.Time
	pos      int // steps replayed
	seen     int // session history entries read
	cur      engine.Context
	log      []Entry
	cursor   *Frame
	firings  int
	kept     int
	omitted  int
	stopped  bool
	stopStep int
}

// New starts a simulation of t on m within lim (zero fields are the
// defaults). The trace is validated (Trace.Validate) and nothing is
// replayed yet. A trace without a version is version 1.
func New(m *engine.Machine, t Trace, lim Limits) (*Sim, error) {
	lim = lim.withDefaults()
	if t.Version == 0 {
		t.Version = Version
	}
	if t.Context == nil {
		t.Context = engine.Context{}
	}
	if err := t.Validate(lim); err != nil {
		return nil, err
	}
	return &Sim{m: m, lim: lim, trace: t}, nil
}

// Trace is the simulation's trace as it is now.
func (s *Sim) Trace() Trace { return s.trace }

// restart installs a trace whose start (context, guard values) or early
// steps changed: the replay starts again.
func (s *Sim) restart(t Trace) {
	*s = Sim{m: s.m, lim: s.lim, trace: t}
}

// moved installs a trace whose steps from index changed on are new, and
// whose cursor may have moved: the replay so far stays when it has gone
// past neither.
func (s *Sim) moved(t Trace, changed int) {
	if s.pos > min(changed, t.At) {
		s.restart(t)
		return
	}
	s.trace = t
	s.cursor = nil
}

func (s *Sim) begin() {
	if s.session != nil {
		return
	}
	s.start = epoch()
	s.clock = engine.NewManualClock(s.start)
	values := engine.GuardValues{}
	for k, v := range s.trace.GuardValues {
		values[k] = v
	}
	s.session = s.m.Create(s.trace.Context, engine.WithClock(s.clock), engine.WithGuardValues(values))
	s.cur = s.session.Context()
}

// cursorContext is a copy of the context at the cursor, replaying up to it.
func (s *Sim) cursorContext() engine.Context {
	s.replayTo(s.trace.At)
	return s.cursor.Context.Clone()
}

// Run replays the rest of the trace (the steps after the cursor too, for the
// log) and returns the result. Call it once, after the operations.
func (s *Sim) Run() *Run {
	s.replayTo(len(s.trace.Steps))
	r := &Run{
		Trace: s.trace, Log: s.log, Cursor: *s.cursor, Firings: s.firings, Kept: s.kept, Omitted: s.omitted,
		Stopped: s.stopped, StoppedAt: s.stopStep,
	}
	for i := range r.Log {
		r.Log[i].Future = r.Log[i].Index >= s.trace.At
	}
	if s.stopped {
		r.Notices = append(r.Notices, fmt.Sprintf("The simulation stopped after %s timer firings, in step %d; the steps after it were not replayed. Go back to an earlier step, or reset.",
			count(s.lim.MaxTimerFirings), s.stopStep+1))
	}
	if s.omitted > 0 {
		r.Notices = append(r.Notices, fmt.Sprintf("The log keeps %s entries; %s more are left out.", count(s.lim.MaxLogEntries), count(s.omitted)))
	}
	return r
}

// replayTo replays steps until n are applied (or the replay stopped),
// capturing the frame at the cursor on the way.
func (s *Sim) replayTo(n int) {
	s.begin()
	for {
		if s.cursor == nil && (s.pos == s.trace.At || s.stopped) {
			s.capture()
		}
		if s.pos >= n || s.stopped {
			return
		}
		s.step(s.pos, s.trace.Steps[s.pos])
		s.pos++
	}
}

func (s *Sim) capture() {
	f := &Frame{State: s.session.State(), Context: s.session.Context(), Clock: s.clock.Now().Sub(s.start), GuardValues: engine.GuardValues{}}
	for k, v := range s.trace.GuardValues {
		f.GuardValues[k] = v
	}
	for _, pt := range s.session.Timers() {
		f.Timers = append(f.Timers, Timer{Timer: pt.Timer, Due: pt.Due.Sub(s.start)})
	}
	s.cursor = f
}

// step replays one step and logs it.
func (s *Sim) step(i int, st Step) {
	timersBefore := s.session.Timers()
	e := Entry{Index: i, Kind: st.Kind}
	switch st.Kind {
	case StepEvent:
		s.session.Send(st.Trigger, st.Payload)
		e.Label = st.Trigger
		if len(st.Payload) > 0 {
			e.Label += " " + ValueText(st.Payload)
		}
	case StepContext:
		s.session.SetContext(st.Context)
		e.Label = "context edited"
	case StepAdvance:
		d := time.Duration(st.Ms) * time.Millisecond
		s.fired(s.session.AdvanceBounded(d, s.lim.MaxTimerFirings-s.firings))
		e.Label = "advance " + FormatDuration(d)
	case StepNextTimer:
		s.fired(s.session.AdvanceToNextBounded(s.lim.MaxTimerFirings - s.firings))
		e.Label = "next timer"
	}
	if s.stopped {
		s.stopStep = i
	}
	steps := s.session.HistorySince(s.seen)
	s.seen += len(steps)
	var byTimer []string
	for _, h := range steps {
		if h.Timer {
			byTimer = append(byTimer, h.Trigger)
		}
		if !s.keep(&e) {
			continue
		}
		ev := Event{Trigger: h.Trigger, From: h.From, To: h.To, Success: h.Success, Actions: h.Actions, ByTimer: h.Timer}
		if h.Error != nil {
			ev.Error = h.Error.Message
		}
		e.Events = append(e.Events, ev)
	}
	for _, c := range s.changes(st, steps) {
		if s.keep(&e) {
			e.Changes = append(e.Changes, c)
		}
	}
	for _, t := range cancelledTimers(timersBefore, s.session.Timers(), byTimer) {
		if s.keep(&e) {
			e.Cancelled = append(e.Cancelled, t)
		}
	}
	e.Clock = s.clock.Now().Sub(s.start)
	s.log = append(s.log, e)
}

// fired counts a bounded advance's firings; a spent budget stops the replay.
func (s *Sim) fired(n int, err error) {
	s.firings += n
	if errors.Is(err, engine.ErrTimerBudget) {
		s.stopped = true
	}
}

// keep counts one log entry of e against the budget: false when it is past
// the budget and left out.
func (s *Sim) keep(e *Entry) bool {
	if s.kept >= s.lim.MaxLogEntries {
		s.omitted++
		e.Omitted++
		return false
	}
	s.kept++
	return true
}

// changes lists how a step changed the context. The context changes only by
// a context step or by an accepted event's payload merging into it (SPEC 4),
// so a step of neither kind costs nothing however large the context, and an
// event costs the size of its payload.
func (s *Sim) changes(st Step, steps []engine.Step) []Change {
	switch {
	case st.Kind == StepContext:
		after := s.session.Context()
		out := diff(s.cur, after, sortedKeys(s.cur, after))
		s.cur = after
		return out
	case st.Kind == StepEvent && len(st.Payload) > 0 && len(steps) > 0 && steps[0].Success:
		out := diff(s.cur, st.Payload, sortedKeys(st.Payload))
		for k, v := range st.Payload {
			s.cur[k] = v
		}
		return out
	}
	return nil
}

// diff compares the keys of before and after, in the order given.
func diff(before, after engine.Context, keys []string) []Change {
	var out []Change
	for _, k := range keys {
		b, inB := before[k]
		a, inA := after[k]
		switch {
		case !inA:
			out = append(out, Change{Key: k, Before: b, Removed: true})
		case !inB:
			out = append(out, Change{Key: k, After: a, Added: true})
		case !sameJSON(a, b):
			out = append(out, Change{Key: k, Before: b, After: a})
		}
	}
	return out
}

// sameJSON reports whether two context values are the same JSON.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func sortedKeys(ms ...engine.Context) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// cancelledTimers lists the timers that were pending before a step and
// neither fired (firedBy lists the triggers of the timers that fired) nor
// remain after it: leaving their state cancelled them.
func cancelledTimers(before, after []engine.PendingTimer, firedBy []string) []engine.Timer {
	type key struct {
		trigger, state string
		due            time.Time
	}
	left := map[key]int{}
	for _, t := range after {
		left[key{t.Trigger, t.State, t.Due}]++
	}
	fired := map[string]int{}
	for _, t := range firedBy {
		fired[t]++
	}
	var out []engine.Timer
	for _, t := range before {
		k := key{t.Trigger, t.State, t.Due}
		if left[k] > 0 {
			left[k]--
			continue
		}
		if fired[t.Trigger] > 0 {
			fired[t.Trigger]--
			continue
		}
		out = append(out, t.Timer)
	}
	return out
}
