package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Result is the answer of Process (SPEC 3.2). It is a value: processing a
// typical event allocates nothing. Slices may share storage with the machine;
// treat them as read-only.
type Result struct {
	Success          bool
	SourceState      string
	TargetState      string // resolved leaf or parallel configuration; "" on failure
	Trigger          string
	ActionsToExecute []Action // transition actions
	OnExitActions    []Action // innermost first
	OnEnterActions   []Action // outermost first
	AllActions       []string // exit + transition + enter, in that order
	Error            *Error
	Metadata         Metadata
	Timers           []Timer // to arm on entering the target
	RegionResults    []RegionResult

	trace traceLog
	m     *Machine
}

// traceLog records, compactly, which candidates were evaluated and what their
// guards answered; GuardTrace expands it with the machine's static data. It
// holds at most MaxTracedCandidates candidates, maxTraceChecks guard checks
// and maxTraceValues values: a candidate that does not fit is left out whole
// and counted in Metadata.GuardTraceSkipped.
type traceLog struct {
	n        int
	recs     [2]traceRec
	more     []traceRec
	nv       int
	vals     [4]any
	moreVals []any
	checks   int  // guard checks of the recorded candidates
	full     bool // a value did not fit: the candidate being evaluated is left out
	supplied bool // guard values were supplied (unbound guards are "value")
	decoded  []TraceEntry
}

type traceRec struct {
	trans    int32
	guards   int32 // guards evaluated, the failed one included
	lastVals int32 // operand values recorded for the last evaluated guard
	failed   bool  // the last evaluated guard failed
	err      string
}

// begin starts recording a candidate: start is where its values begin, and
// vals is where to record them (nil when the candidate cannot be traced).
func (l *traceLog) begin() (start int, vals *traceLog) {
	if l.n >= MaxTracedCandidates {
		return l.nv, nil
	}
	return l.nv, l
}

// end records a candidate if it fits, or leaves it out and counts it.
func (l *traceLog) end(rec traceRec, start int, md *Metadata) {
	if l.n < MaxTracedCandidates && !l.full && l.checks+int(rec.guards) <= maxTraceChecks {
		l.add(rec)
		l.checks += int(rec.guards)
		return
	}
	l.drop(start)
	md.GuardTraceSkipped++
}

// drop forgets the values recorded since start.
func (l *traceLog) drop(start int) {
	if l.nv > start {
		if k := start - len(l.vals); k >= 0 {
			clear(l.moreVals[k:])
			l.moreVals = l.moreVals[:k]
		} else {
			clear(l.moreVals)
			l.moreVals = l.moreVals[:0]
			clear(l.vals[start:])
		}
		l.nv = start
	}
	l.full = false
}

func (l *traceLog) add(rec traceRec) {
	if l.n < len(l.recs) {
		l.recs[l.n] = rec
	} else {
		l.more = append(l.more, rec)
	}
	l.n++
}

func (l *traceLog) rec(i int) traceRec {
	if i < len(l.recs) {
		return l.recs[i]
	}
	return l.more[i-len(l.recs)]
}

func (l *traceLog) addVal(v any) {
	if l.nv >= maxTraceValues {
		l.full = true
		return
	}
	if l.nv < len(l.vals) {
		l.vals[l.nv] = v
	} else {
		l.moreVals = append(l.moreVals, v)
	}
	l.nv++
}

func (l *traceLog) val(i int) any {
	if i < len(l.vals) {
		return l.vals[i]
	}
	return l.moreVals[i-len(l.vals)]
}

// GuardTrace explains the decision: every candidate transition considered, in
// order, and what each of its evaluated guards answered (with the operands an
// expression read). The UI uses it to say why an event is disabled.
func (r *Result) GuardTrace() []TraceEntry {
	if r.trace.decoded != nil {
		return r.trace.decoded
	}
	out := make([]TraceEntry, 0, r.trace.n)
	if r.m == nil {
		return out
	}
	vi := 0
	var cuts traceCuts
	for i := 0; i < r.trace.n; i++ {
		rec := r.trace.rec(i)
		t := &r.m.trans[rec.trans]
		e := TraceEntry{Transition: t.index, Dest: t.destName, Guards: make([]GuardCheck, 0, rec.guards)}
		if t.region >= 0 {
			e.Region = r.m.nodes[t.region].name
		}
		for gi := 0; gi < int(rec.guards); gi++ {
			g := &t.guards[gi]
			last := gi == int(rec.guards)-1
			chk := GuardCheck{Guard: g.label, Passed: !(last && rec.failed)}
			if last && rec.failed {
				chk.Error = rec.err
			}
			switch g.kind {
			case guardFunc:
				chk.Kind = GuardKindFunction
			case guardExpr:
				chk.Kind = GuardKindExpression
				nv := len(g.expr.operands)
				if last {
					nv = int(rec.lastVals)
				}
				chk.Values = make(Operands, nv)
				for k := 0; k < nv; k++ {
					chk.Values[k] = Operand{Name: g.expr.operands[k].key, Value: cuts.cut(g.expr.operands[k].key, r.trace.val(vi))}
					vi++
				}
			case guardUnbound:
				chk.Kind = GuardKindUnbound
				if r.trace.supplied {
					chk.Kind = GuardKindValue
				}
			}
			e.Guards = append(e.Guards, chk)
		}
		out = append(out, e)
	}
	return out
}

// Err returns the result's error as an error value, or nil on success.
func (r *Result) Err() error {
	if r.Error == nil {
		return nil
	}
	return r.Error
}

// NoOp reports a non-strict machine's answer to an event with no transition.
func (r *Result) NoOp() bool { return r.Metadata.NoOp }

// Error is why an event was refused. Code is stable; Type keeps pystator's class
// names.
type Error struct {
	Code              string           `json:"code"`
	Type              string           `json:"type"`
	Message           string           `json:"message"`
	GuardName         string           `json:"guard_name,omitempty"`
	AvailableTriggers []string         `json:"available_triggers,omitempty"`
	Details           []ContextProblem `json:"details,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Is matches the sentinel error of the same code, so callers can write
// errors.Is(res.Err(), engine.ErrGuardRejected).
func (e *Error) Is(target error) bool {
	s, ok := sentinels[e.Code]
	return ok && s == target
}

// Result error codes (SPEC 3.2, and SPEC 11 for the last two).
const (
	ErrCodeInvalidTransition = "invalid_transition"
	ErrCodeGuardRejected     = "guard_rejected"
	ErrCodeTerminalState     = "terminal_state"
	ErrCodeUndefinedTrigger  = "undefined_trigger"
	ErrCodeUndefinedState    = "undefined_state"
	ErrCodeConfiguration     = "configuration_error"
	ErrCodeGuardNotFound     = "guard_not_found"
	ErrCodeContextInvalid    = "context_invalid"
	// ErrCodeGuardBudgetExceeded: the guard expressions of one process call
	// together spent more than ProcessOptions.Budget's TotalOps or
	// TotalMemory (type GuardBudgetExceededError). No transition was
	// taken; guard_trace shows what was evaluated.
	ErrCodeGuardBudgetExceeded = "guard_budget_exceeded"
	// ErrCodeCancelled: ProcessOptions.Done was closed before the call
	// decided (type CancelledError). No transition was taken.
	ErrCodeCancelled = "cancelled"
)

// Sentinel errors for errors.Is on a result's error.
var (
	ErrInvalidTransition = errors.New("invalid transition")
	ErrGuardRejected     = errors.New("guard rejected")
	ErrTerminalState     = errors.New("terminal state")
	ErrUndefinedTrigger  = errors.New("undefined trigger")
	ErrUndefinedState    = errors.New("undefined state")
	ErrConfiguration     = errors.New("configuration error")
	ErrGuardNotFound     = errors.New("guard not found")
	ErrContextInvalid    = errors.New("context invalid")
	// ErrGuardBudgetExceeded and ErrCancelled match results whose guards
	// could not be evaluated to a decision (SPEC 11).
	ErrGuardBudgetExceeded = errors.New("guard budget exceeded")
	ErrCancelled           = errors.New("processing cancelled")
)

var sentinels = map[string]error{
	ErrCodeInvalidTransition: ErrInvalidTransition,
	ErrCodeGuardRejected:     ErrGuardRejected,
	ErrCodeTerminalState:     ErrTerminalState,
	ErrCodeUndefinedTrigger:  ErrUndefinedTrigger,
	ErrCodeUndefinedState:    ErrUndefinedState,
	ErrCodeConfiguration:     ErrConfiguration,
	ErrCodeGuardNotFound:     ErrGuardNotFound,
	ErrCodeContextInvalid:    ErrContextInvalid,

	ErrCodeGuardBudgetExceeded: ErrGuardBudgetExceeded,
	ErrCodeCancelled:           ErrCancelled,
}

var errorTypes = map[string]string{
	ErrCodeInvalidTransition: "InvalidTransitionError",
	ErrCodeGuardRejected:     "GuardRejectedError",
	ErrCodeTerminalState:     "TerminalStateError",
	ErrCodeUndefinedTrigger:  "UndefinedTriggerError",
	ErrCodeUndefinedState:    "UndefinedStateError",
	ErrCodeConfiguration:     "ConfigurationError",
	ErrCodeGuardNotFound:     "GuardNotFoundError",
	ErrCodeContextInvalid:    "ContextValidationError",

	ErrCodeGuardBudgetExceeded: "GuardBudgetExceededError",
	ErrCodeCancelled:           "CancelledError",
}

// Metadata carries details about how the result came about.
type Metadata struct {
	TransitionDescription string
	Reason                string
	NoOp                  bool
	GuardName             string
	// GuardTraceSkipped counts the candidates evaluated but left out of
	// guard_trace (past MaxTracedCandidates, or too many guard checks or
	// values for one trace); JSON guard_trace_skipped, absent when 0.
	GuardTraceSkipped int
	// Transition holds the chosen transition's unknown keys (kept from the YAML).
	Transition map[string]any
}

// MarshalJSON writes the metadata as one flat object, transition keys first.
func (m Metadata) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m.Transition)+5)
	for k, v := range m.Transition {
		out[k] = v
	}
	if m.TransitionDescription != "" {
		out["transition_description"] = m.TransitionDescription
	}
	if m.Reason != "" {
		out["reason"] = m.Reason
	}
	if m.NoOp {
		out["no_op"] = true
	}
	if m.GuardName != "" {
		out["guard_name"] = m.GuardName
	}
	if m.GuardTraceSkipped > 0 {
		out["guard_trace_skipped"] = m.GuardTraceSkipped
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads the flat object written by MarshalJSON.
func (m *Metadata) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = Metadata{}
	for k, v := range raw {
		switch k {
		case "transition_description":
			m.TransitionDescription, _ = v.(string)
		case "reason":
			m.Reason, _ = v.(string)
		case "no_op":
			m.NoOp, _ = v.(bool)
		case "guard_name":
			m.GuardName, _ = v.(string)
		case "guard_trace_skipped":
			n, _ := v.(float64)
			m.GuardTraceSkipped = int(n)
		default:
			if m.Transition == nil {
				m.Transition = map[string]any{}
			}
			m.Transition[k] = v
		}
	}
	return nil
}

// TraceEntry is one candidate transition that was considered.
type TraceEntry struct {
	Transition int          `json:"transition"` // index in the machine's transitions
	Dest       string       `json:"dest"`
	Region     string       `json:"region,omitempty"`
	Guards     []GuardCheck `json:"guards"`
}

// GuardKind says how a guard was answered.
type GuardKind uint8

// Guard kinds in a trace.
const (
	GuardKindFunction   GuardKind = iota + 1 // a registered Go function
	GuardKindExpression                      // a `guards:` definition or an inline expression
	GuardKindValue                           // an unbound guard answered by GuardValues
	GuardKindUnbound                         // an unbound guard with no value (non-strict: passes)
)

var guardKindNames = [...]string{"", "function", "expression", "value", "unbound"}

func (k GuardKind) String() string {
	if int(k) < len(guardKindNames) {
		return guardKindNames[k]
	}
	return ""
}

// MarshalText writes the kind's name.
func (k GuardKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *GuardKind) UnmarshalText(b []byte) error {
	for i, n := range guardKindNames {
		if n == string(b) && i > 0 {
			*k = GuardKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown guard kind %q", b)
}

// GuardCheck is the evaluation of one guard. For an expression guard, Values
// holds the operands it read.
type GuardCheck struct {
	Guard  string    `json:"guard"`
	Kind   GuardKind `json:"kind"`
	Passed bool      `json:"passed"`
	Error  string    `json:"error,omitempty"`
	Values Operands  `json:"values,omitempty"`
}

// Operand is a context value an expression guard read.
type Operand struct {
	Name  string
	Value any
}

// Operands marshal as one JSON object in reading order.
type Operands []Operand

// MarshalJSON writes {"name": value, ...} keeping the reading order.
func (ops Operands) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, op := range ops {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(op.Name)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(op.Value)
		if err != nil {
			v = []byte(fmt.Sprintf("%q", fmt.Sprint(op.Value)))
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of values (order is not kept).
func (ops *Operands) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	*ops = nil
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*ops = append(*ops, Operand{Name: fmt.Sprint(t), Value: v})
	}
	return nil
}

// Get returns the value read for name.
func (ops Operands) Get(name string) (any, bool) {
	for _, op := range ops {
		if op.Name == name {
			return op.Value, true
		}
	}
	return nil, false
}

// Timer kinds.
const (
	TimerTimeout = "timeout"
	TimerAfter   = "after"
)

// Timer is a timeout or delayed transition to arm on entering a state.
type Timer struct {
	Trigger string `json:"trigger"`
	AfterMs int64  `json:"after_ms"`
	Kind    string `json:"kind"`
	State   string `json:"state"` // the state that owns it; leaving the state cancels it
}

// RegionResult is what one region of a parallel state did on an event.
type RegionResult struct {
	Region      string `json:"region"`
	SourceState string `json:"source_state"`
	TargetState string `json:"target_state"`
	Transition  int    `json:"transition"`
}

type resultJSON struct {
	Success          bool           `json:"success"`
	SourceState      string         `json:"source_state"`
	TargetState      *string        `json:"target_state"`
	Trigger          string         `json:"trigger"`
	ActionsToExecute []Action       `json:"actions_to_execute"`
	OnExitActions    []Action       `json:"on_exit_actions"`
	OnEnterActions   []Action       `json:"on_enter_actions"`
	AllActions       []string       `json:"all_actions"`
	Error            *Error         `json:"error"`
	Metadata         Metadata       `json:"metadata"`
	GuardTrace       []TraceEntry   `json:"guard_trace"`
	Timers           []Timer        `json:"timers"`
	RegionResults    []RegionResult `json:"region_results,omitempty"`
}

// MarshalJSON writes the result in pystator's shape: lists always present,
// target_state null on failure.
func (r Result) MarshalJSON() ([]byte, error) {
	out := resultJSON{
		Success: r.Success, SourceState: r.SourceState, Trigger: r.Trigger,
		ActionsToExecute: orEmpty(r.ActionsToExecute), OnExitActions: orEmpty(r.OnExitActions),
		OnEnterActions: orEmpty(r.OnEnterActions), AllActions: orEmpty(r.AllActions),
		Error: r.Error, Metadata: r.Metadata, GuardTrace: r.GuardTrace(), Timers: orEmpty(r.Timers),
		RegionResults: r.RegionResults,
	}
	if r.Success {
		t := r.TargetState
		out.TargetState = &t
	}
	for i := range out.GuardTrace {
		if out.GuardTrace[i].Guards == nil {
			out.GuardTrace[i].Guards = []GuardCheck{}
		}
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a result written by MarshalJSON (used by clients and tests).
func (r *Result) UnmarshalJSON(b []byte) error {
	var in resultJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*r = Result{
		Success: in.Success, SourceState: in.SourceState, Trigger: in.Trigger,
		ActionsToExecute: in.ActionsToExecute, OnExitActions: in.OnExitActions, OnEnterActions: in.OnEnterActions,
		AllActions: in.AllActions, Error: in.Error, Metadata: in.Metadata,
		Timers: in.Timers, RegionResults: in.RegionResults,
	}
	r.trace.decoded = orEmpty(in.GuardTrace)
	if in.TargetState != nil {
		r.TargetState = *in.TargetState
	}
	return nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Detach returns a copy that owns its slices and its expanded trace, for
// callers that keep results (session histories) or hand them to other code.
func (r *Result) Detach() Result {
	c := *r
	c.ActionsToExecute = append([]Action(nil), r.ActionsToExecute...)
	c.OnExitActions = append([]Action(nil), r.OnExitActions...)
	c.OnEnterActions = append([]Action(nil), r.OnEnterActions...)
	c.AllActions = append([]string(nil), r.AllActions...)
	c.Timers = append([]Timer(nil), r.Timers...)
	c.RegionResults = append([]RegionResult(nil), r.RegionResults...)
	if r.Error != nil {
		e := *r.Error
		c.Error = &e
	}
	c.trace = traceLog{decoded: r.GuardTrace()}
	c.m = nil
	return c
}
