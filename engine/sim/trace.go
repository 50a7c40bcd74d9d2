// Package sim is Stator's simulator (SPEC 7): a versioned, replayable Trace
// of what a user did with a machine, the operations that change it, its
// replay on an engine.Session with a virtual clock (Replay, Sim), and the
// explanations of why an event is disabled (CheckEvents, Explain).
//
// The simulator is stateless on the server: the page holds a Trace (where
// the simulation starts and what the user did) and posts it with an
// operation; the server applies the operation, replays the trace once and
// renders the result. The same trace in a share link or a draft link
// reproduces the simulation exactly. All work is bounded by Limits (SPEC 11).
//
// The package imports only the standard library and the engine.
package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/statorhq/stator/engine"
)

// Version is the trace format this package writes. A trace without a version
// (the format of share and draft links made before versions) is version 1.
const Version = 1

// StepKind says what a trace step did.
type StepKind string

// The kinds of step.
const (
	StepEvent     StepKind = "event"      // send Trigger with Payload
	StepContext   StepKind = "context"    // replace the context with Context
	StepAdvance   StepKind = "advance"    // move the virtual clock forward by Ms, firing due timers
	StepNextTimer StepKind = "next_timer" // move the virtual clock to the next timer and fire it
)

func (k StepKind) known() bool {
	switch k {
	case StepEvent, StepContext, StepAdvance, StepNextTimer:
		return true
	}
	return false
}

// Trace is a replayable simulation: the context it starts with, the values
// of unbound guards, what the user did, and how many of those steps are
// applied (the cursor; the steps after it can be gone back to). Its JSON
// field names are those of every share link ever made.
type Trace struct {
	Version     int             `json:"version"`
	Context     engine.Context  `json:"context"`
	GuardValues map[string]bool `json:"guard_values,omitempty"`
	Steps       []Step          `json:"steps"`
	At          int             `json:"at"`
}

// Step is one thing the user did.
type Step struct {
	Kind    StepKind       `json:"kind"`
	Trigger string         `json:"trigger,omitempty"`
	Payload engine.Context `json:"payload,omitempty"`
	Context engine.Context `json:"context,omitempty"`
	Ms      int64          `json:"ms,omitempty"`
}

// NewTrace is an empty simulation: an empty context, no step.
func NewTrace() Trace { return Trace{Version: Version, Context: engine.Context{}} }

// Limits bound a simulation (SPEC 11). A zero field means its default.
type Limits struct {
	MaxSteps        int           // steps a trace holds: 1,000
	MaxTimerFirings int           // timers one replay fires in total: 10,000
	MaxLogEntries   int           // events, context changes and cancelled timers one replay logs: 2,000
	MaxDepth        int           // nesting of a context or payload: the engine's (32), as the API
	MaxAdvance      time.Duration // one advance of the clock: 10 years
}

// DefaultLimits are the limits of SPEC 11.
func DefaultLimits() Limits {
	return Limits{
		MaxSteps:        1000,
		MaxTimerFirings: 10000,
		MaxLogEntries:   2000,
		MaxDepth:        engine.DefaultLimits().MaxDepth,
		MaxAdvance:      10 * 365 * 24 * time.Hour,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxSteps > 0 {
		d.MaxSteps = l.MaxSteps
	}
	if l.MaxTimerFirings > 0 {
		d.MaxTimerFirings = l.MaxTimerFirings
	}
	if l.MaxLogEntries > 0 {
		d.MaxLogEntries = l.MaxLogEntries
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxAdvance > 0 {
		d.MaxAdvance = l.MaxAdvance
	}
	return d
}

// traceEnvelope is how deep a step's payload sits in a trace's JSON: the
// trace object, the steps array, the step object.
const traceEnvelope = 3

// rawDepth is how deep ParseTrace lets JSON be before it decodes it: far
// past any valid trace, so that Validate says which context is too deep, and
// far short of what would cost much to decode.
func (l Limits) rawDepth() int { return 2*l.MaxDepth + traceEnvelope }

// ParseTrace reads a trace posted by the page or stored in a link. Empty
// input or null is a new trace. A trace without a version is version 1; a
// later version is ErrVersion. The JSON is checked for depth before it is
// decoded, then the trace against lim (see Trace.Validate). A cursor out of
// range is put at the end.
func ParseTrace(data []byte, lim Limits) (Trace, error) {
	lim = lim.withDefaults()
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "null" {
		return NewTrace(), nil
	}
	if d := engine.JSONDepth(data); d > lim.rawDepth() {
		return NewTrace(), fail(ErrLimit, "", "The simulation is nested %d levels deep; the limit is %d for a context or payload.", d, lim.MaxDepth)
	}
	var t Trace
	if err := json.Unmarshal(data, &t); err != nil {
		return NewTrace(), traceJSONError(err)
	}
	if t.Version == 0 {
		t.Version = 1
	}
	if t.At < 0 || t.At > len(t.Steps) {
		t.At = len(t.Steps)
	}
	if err := t.Validate(lim); err != nil {
		return NewTrace(), err
	}
	return t, nil
}

func traceJSONError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fail(ErrTrace, "", "The simulation is not valid JSON (at character %d).", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		return fail(ErrTrace, te.Field, "The simulation's %s has a value of the wrong type.", te.Field)
	}
	return fail(ErrTrace, "", "The simulation is not a JSON object.")
}

// Validate checks a trace against lim: its version, at most MaxSteps steps of
// known kinds, advances within MaxAdvance, contexts and payloads nested at
// most MaxDepth deep, the cursor within the steps. Replay and Sim validate
// the trace they are given; ParseTrace validates what it reads.
func (t *Trace) Validate(lim Limits) error {
	lim = lim.withDefaults()
	switch {
	case t.Version > Version:
		return fail(ErrVersion, "version", "The simulation was made by a newer Stator (trace version %d; this one reads version %d).", t.Version, Version)
	case t.Version != Version:
		return fail(ErrVersion, "version", "The simulation has no known version (%d).", t.Version)
	}
	if len(t.Steps) > lim.MaxSteps {
		return fail(ErrLimit, "steps", "The simulation has %d steps; the limit is %d.", len(t.Steps), lim.MaxSteps)
	}
	if t.At < 0 || t.At > len(t.Steps) {
		return fail(ErrTrace, "at", "The simulation's cursor %d is not one of its %d steps.", t.At, len(t.Steps))
	}
	if d := engine.ValueDepth(t.Context); d > lim.MaxDepth {
		return fail(ErrLimit, "context", "The simulation's context is nested %d levels deep; the limit is %d.", d, lim.MaxDepth)
	}
	for i, s := range t.Steps {
		n := i + 1
		if !s.Kind.known() {
			return fail(ErrTrace, fmt.Sprintf("steps[%d].kind", i), "Step %d of the simulation is of no known kind (%q).", n, s.Kind)
		}
		if s.Kind == StepAdvance && (s.Ms < 0 || s.Ms > lim.MaxAdvance.Milliseconds()) {
			return fail(ErrLimit, fmt.Sprintf("steps[%d].ms", i), "Step %d of the simulation advances the clock by %d ms; the limit is %s.", n, s.Ms, humanDuration(lim.MaxAdvance))
		}
		if d := engine.ValueDepth(s.Payload); d > lim.MaxDepth {
			return fail(ErrLimit, fmt.Sprintf("steps[%d].payload", i), "The payload of step %d is nested %d levels deep; the limit is %d.", n, d, lim.MaxDepth)
		}
		if d := engine.ValueDepth(s.Context); d > lim.MaxDepth {
			return fail(ErrLimit, fmt.Sprintf("steps[%d].context", i), "The context of step %d is nested %d levels deep; the limit is %d.", n, d, lim.MaxDepth)
		}
	}
	return nil
}

// branch drops the steps after the cursor: the next action starts a new branch.
func (t *Trace) branch() { t.Steps = t.Steps[:t.At:t.At] }

// Push records a step at the cursor: the steps after the cursor are dropped
// (a new branch) and the cursor moves past the new step. It is refused when
// the trace would hold more than lim.MaxSteps steps.
func (t *Trace) Push(s Step, lim Limits) error {
	lim = lim.withDefaults()
	if t.At+1 > lim.MaxSteps {
		return fail(ErrLimit, "steps", "A simulation keeps at most %d steps.", lim.MaxSteps)
	}
	t.branch()
	t.Steps = append(t.Steps, s)
	t.At = len(t.Steps)
	return nil
}

// Goto moves the cursor: i steps are applied (0 is the start).
func (t *Trace) Goto(i int) error {
	if i < 0 || i > len(t.Steps) {
		return fail(ErrOp, "op", "there is no such step")
	}
	t.At = i
	return nil
}

// Reset drops every step; the starting context and guard values stay.
func (t *Trace) Reset() { t.Steps, t.At = nil, 0 }

// SetContext records a context edit at the cursor: before any step it is
// the starting context (and the steps are dropped), after a step it is a
// context step that starts a branch.
func (t *Trace) SetContext(c engine.Context, lim Limits) error {
	if t.At == 0 {
		t.Steps = nil
		t.Context = c
		return nil
	}
	return t.Push(Step{Kind: StepContext, Context: c}, lim)
}
