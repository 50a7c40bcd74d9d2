package sim

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/statorhq/stator/engine"
)

// Op names an operation of the simulator's form. Its values are the strings
// the form posts in its op field (see ParseOperation).
type Op string

// The operations.
const (
	OpRefresh     Op = "refresh"      // change nothing (the payload typed so far is re-checked)
	OpEvent       Op = "event"        // "event:<trigger>": send the trigger with its payload form
	OpGoto        Op = "goto"         // "goto:<n>": move the cursor to after step n (0 is the start)
	OpReset       Op = "reset"        // drop every step
	OpFill        Op = "fill"         // put the state variables' defaults in the context
	OpContext     Op = "context"      // set the context from its typed fields
	OpContextJSON Op = "context_json" // set the context from its raw JSON box
	OpGuards      Op = "guards"       // set the unbound guards' values from their toggles
	OpNextTimer   Op = "next_timer"   // move the clock to the next timer and fire it
	OpAdvance     Op = "advance"      // move the clock forward by the seconds field
)

// Ops are all the operations, for checks of what a page posts.
func Ops() []Op {
	return []Op{OpRefresh, OpEvent, OpGoto, OpReset, OpFill, OpContext, OpContextJSON, OpGuards, OpNextTimer, OpAdvance}
}

// WithArg is the op field's value for an operation with an argument:
// OpEvent.WithArg("ack") is "event:ack".
func (o Op) WithArg(arg string) string { return string(o) + ":" + arg }

// Operation is one operation posted by the form: its name, its argument
// (the trigger of OpEvent, the step of OpGoto) and the form's other values.
type Operation struct {
	Op   Op
	Arg  string
	Form Form
}

// ParseOperation reads the form's op field ("name" or "name:arg"); an
// empty one is OpRefresh. An unknown name is refused by Sim.Apply.
func ParseOperation(f Form) Operation {
	name, arg, _ := strings.Cut(f.Value(FieldOp), ":")
	if name == "" {
		name = string(OpRefresh)
	}
	return Operation{Op: Op(name), Arg: arg, Form: f}
}

// Apply changes the simulation's trace by one operation. A refused
// operation returns an *Error (ErrInput, ErrLimit or ErrOp) with a sentence
// for people, and leaves the trace as it was. Fill and context edits read
// the context at the cursor from this simulation's replay, which Run then
// continues: the trace is replayed once in all.
func (s *Sim) Apply(o Operation) error {
	def := s.m.Definition()
	t := s.trace
	switch o.Op {
	case OpRefresh:
		return nil
	case OpEvent:
		payload, err := ReadPayload(def, o.Arg, o.Form, s.lim)
		if err != nil {
			return err
		}
		return s.push(Step{Kind: StepEvent, Trigger: o.Arg, Payload: payload})
	case OpGoto:
		i, err := strconv.Atoi(o.Arg)
		if err != nil {
			return fail(ErrOp, FieldOp, "there is no such step")
		}
		if err := t.Goto(i); err != nil {
			return err
		}
		s.moved(t, len(t.Steps))
	case OpReset:
		t.Reset()
		s.restart(t)
	case OpFill:
		c := s.cursorContext()
		for k, v := range def.Defaults() {
			c[k] = v
		}
		return s.setContext(c)
	case OpContext:
		c := s.cursorContext()
		if err := readContextFields(def, c, o.Form, s.lim); err != nil {
			return err
		}
		return s.setContext(c)
	case OpContextJSON:
		c, err := readContextJSON(o.Form, s.lim)
		if err != nil {
			return err
		}
		return s.setContext(c)
	case OpGuards:
		values := map[string]bool{}
		for _, g := range UnboundGuards(def) {
			values[g] = o.Form.Value(GuardField(g)) == "true"
		}
		t.GuardValues = values
		s.restart(t)
	case OpNextTimer:
		return s.push(Step{Kind: StepNextTimer})
	case OpAdvance:
		ms, err := readAdvance(o.Form.Value(FieldSeconds), s.lim)
		if err != nil {
			return err
		}
		return s.push(Step{Kind: StepAdvance, Ms: ms})
	default:
		return fail(ErrOp, FieldOp, "unknown simulator operation %q", string(o.Op))
	}
	return nil
}

// humanDuration writes a limit such as MaxAdvance for people: "10 years",
// "30 days", else as FormatDuration.
func humanDuration(d time.Duration) string {
	const day, year = 24 * time.Hour, 365 * 24 * time.Hour
	switch {
	case d >= year && d%year == 0:
		return strconv.FormatInt(int64(d/year), 10) + " years"
	case d >= day && d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + " days"
	}
	return FormatDuration(d)
}

// readAdvance reads the seconds to advance: more than 0, at most MaxAdvance,
// kept in whole milliseconds.
func readAdvance(raw string, lim Limits) (int64, error) {
	secs, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	ms := secs * 1000
	if err != nil || math.IsNaN(secs) || ms < 1 || ms > float64(lim.MaxAdvance/time.Millisecond) {
		return 0, fail(ErrInput, FieldSeconds, "Advance by a number of seconds greater than 0 and at most %s.", humanDuration(lim.MaxAdvance))
	}
	return int64(ms), nil
}

// push records a step at the cursor; the replay so far stays valid when it
// has not gone past the cursor.
func (s *Sim) push(st Step) error {
	t := s.trace
	changed := t.At
	if err := t.Push(st, s.lim); err != nil {
		return err
	}
	s.moved(t, changed)
	return nil
}

// setContext records a context edit at the cursor (see Trace.SetContext).
func (s *Sim) setContext(c engine.Context) error {
	t := s.trace
	if d := engine.ValueDepth(c); d > s.lim.MaxDepth {
		return fail(ErrLimit, "context", "The context is nested %d levels deep; the limit is %d.", d, s.lim.MaxDepth)
	}
	changed := t.At
	if err := t.SetContext(c, s.lim); err != nil {
		return err
	}
	if changed == 0 {
		s.restart(t) // the starting context changed
	} else {
		s.moved(t, changed)
	}
	return nil
}
