package engine

import (
	"fmt"
	"strings"
)

// ProcessOptions are the optional inputs of ProcessWith.
type ProcessOptions struct {
	// Payload is the event's data, merged over the context (payload wins).
	Payload Context
	// GuardValues answers unbound named guards; see GuardValues.
	GuardValues GuardValues
	// Budget bounds the work of guard expressions (SPEC 11); zero fields
	// take DefaultGuardBudget's values.
	Budget GuardBudget
	// Done, once closed, stops the call: it is checked before each guard
	// and during long evaluations, and the call then fails with the code
	// cancelled (never a partial success). Pass a request's
	// ctx.Done() so that work stops when the client is gone; nil never
	// stops.
	Done <-chan struct{}
}

// Process computes what the event trigger does to an entity in state with the
// given context (SPEC 3). It is pure: no I/O, no clock, no mutation. It never
// panics on bad input; failures are reported in the result.
func (m *Machine) Process(state, trigger string, ctx Context) Result {
	var r Result
	m.process(&r, state, trigger, ctx, nil)
	return r
}

// ProcessWith is Process with a payload, guard values, a guard budget and a
// way to stop.
func (m *Machine) ProcessWith(state, trigger string, ctx Context, opts ProcessOptions) Result {
	var r Result
	m.process(&r, state, trigger, ctx, &opts)
	return r
}

// stopKind is why a process call stopped before deciding.
type stopKind uint8

const (
	stopNone      stopKind = iota
	stopBudget             // the call's guard budget is spent
	stopCancelled          // Done was closed
)

// run holds the per-call state of one process call. The result is passed
// beside it, not stored in it, so that it can stay on the caller's stack.
type run struct {
	m           *Machine
	env         Context
	values      GuardValues
	done        <-chan struct{} // ProcessOptions.Done
	anyCand     bool
	firstFailed string // first guard that failed on the first candidate
	notFound    string // an unbound guard with no value in strict mode
	stop        stopKind
	vm          *evalVM    // taken from the machine's pool for this call
	meter       guardMeter // its budget takes the defaults at the first expression guard
}

func (m *Machine) process(r *Result, state, trigger string, ctx Context, opts *ProcessOptions) {
	// run keeps copies of the options, not a pointer to them, so that they
	// can stay on the caller's stack
	x := run{m: m}
	var payload Context
	if opts != nil {
		x.values, payload, x.done, x.meter.budget = opts.GuardValues, opts.Payload, opts.Done, opts.Budget
	}
	m.processRun(&x, r, state, trigger, ctx, payload)
	if x.vm != nil {
		m.pool.put(x.vm)
	}
}

func (m *Machine) processRun(x *run, r *Result, state, trigger string, ctx, payload Context) {
	r.SourceState, r.Trigger, r.m = state, trigger, m
	r.trace.supplied = x.values != nil

	cur, ok := m.stateIdx[state]
	var cfg *config
	if !ok {
		if strings.IndexByte(state, ':') < 0 {
			m.fail(r, ErrCodeUndefinedState, fmt.Sprintf("%q is not a state of %s%s", state, m.def.Meta.MachineName, m.stateHint(state)))
			return
		}
		c, err := m.parseConfig(state)
		if err != nil {
			m.fail(r, ErrCodeUndefinedState, err.Error())
			return
		}
		cfg = c
	} else if par := m.nodes[cur].par; par >= 0 {
		m.fail(r, ErrCodeUndefinedState, fmt.Sprintf("%q is inside the parallel state %q; pass the whole configuration, such as %q", state, m.nodes[par].name, m.exampleConfig(cur)))
		return
	} else if m.nodes[cur].typ == StateTerminal {
		r.Metadata.Reason = "terminal_state"
		m.fail(r, ErrCodeTerminalState, fmt.Sprintf("%q is a terminal state; it accepts no events", state))
		return
	}

	x.env = merged(ctx, payload)
	if m.def.Meta.ValidateContext {
		if probs := CheckContext(m.def.StateVariables, x.env); len(probs) > 0 {
			m.fail(r, ErrCodeContextInvalid, contextMessage(probs))
			r.Error.Details = probs
			return
		}
	}

	ti, known := m.trig[trigger]
	if cfg != nil {
		if known {
			m.processConfig(x, r, cfg, ti)
		}
	} else if known {
		for a := cur; a >= 0; a = m.nodes[a].parent {
			for _, c := range m.table[tableKey(a, ti)] {
				if x.candidate(r, c) {
					m.applyPlain(r, cur, c)
					return
				}
				if x.stop != stopNone {
					m.stopped(r, x)
					return
				}
				if x.notFound != "" {
					m.guardNotFound(r, x.notFound)
					return
				}
			}
		}
	}
	if x.stop != stopNone {
		m.stopped(r, x)
		return
	}
	if r.Success {
		return
	}
	if x.notFound != "" {
		m.guardNotFound(r, x.notFound)
		return
	}
	if x.anyCand {
		r.Metadata.Reason = "guard_rejected"
		r.Metadata.GuardName = x.firstFailed
		m.fail(r, ErrCodeGuardRejected, fmt.Sprintf("the guard %q rejected %q from %q", x.firstFailed, trigger, state))
		r.Error.GuardName = x.firstFailed
		return
	}
	m.noCandidate(r, cfg, known)
}

// candidate evaluates one candidate's guards in order (AND, stopping at the
// first false), records them in the trace and reports whether it may fire.
// It reports false when the call must stop (x.stop).
func (x *run) candidate(r *Result, c cand) bool {
	x.anyCand = true
	t := c.t
	start, vals := r.trace.begin()
	rec := traceRec{trans: int32(t.index)}
	for i := range t.guards {
		g := &t.guards[i]
		if x.cancelled() {
			rec.guards++
			rec.lastVals = 0
			rec.failed, rec.err = true, errEvalCancelled.Error()
			break
		}
		var ok bool
		var reason string
		switch g.kind {
		case guardFunc:
			ok, reason = callGuard(g.fn, x.env)
			rec.lastVals = 0
		case guardExpr:
			var nv int
			ok, reason, nv = x.evalExpr(g.expr, vals)
			rec.lastVals = int32(nv)
		case guardUnbound:
			rec.lastVals = 0
			if x.values != nil {
				v, given := x.values[g.name]
				ok = v || !given
				if !ok {
					reason = "the value given for this guard is false"
				}
			} else if x.m.def.Meta.StrictMode {
				x.notFound = g.name
				r.trace.drop(start)
				return false
			} else {
				ok = true
			}
		}
		rec.guards++
		if !ok {
			rec.failed, rec.err = true, reason
			if x.firstFailed == "" && x.stop == stopNone {
				x.firstFailed = g.label
			}
			break
		}
	}
	r.trace.end(rec, start, &r.Metadata)
	return !rec.failed && x.stop == stopNone
}

// evalExpr evaluates one expression guard within what is left of the call's
// guard budget, and stops the call when that budget is spent or the caller is
// gone.
func (x *run) evalExpr(ce *compiledExpr, vals *traceLog) (ok bool, reason string, nv int) {
	if x.vm == nil { // one VM per call, taken at the first expression guard
		x.vm = x.m.pool.get()
		x.meter.budget = x.meter.budget.withDefaults()
	}
	opsCap, memCap := x.meter.caps()
	x.vm.begin(opsCap, memCap, x.done)
	ok, reason, nv = ce.eval(x.vm, x.env, vals)
	switch {
	case x.vm.halt == haltCancelled:
		x.stop = stopCancelled
	case x.meter.spend(x.vm.ops, x.vm.mem):
		x.stop = stopBudget
	}
	return ok, reason, nv
}

// cancelled reports whether the caller is gone, and stops the call if so.
func (x *run) cancelled() bool {
	if x.done == nil {
		return false
	}
	select {
	case <-x.done:
		x.stop = stopCancelled
		return true
	default:
		return false
	}
}

// stopped fails a call that could not decide: its guard budget is spent or
// its caller is gone. No transition is taken, whatever was evaluated.
func (m *Machine) stopped(r *Result, x *run) {
	*r = Result{SourceState: r.SourceState, Trigger: r.Trigger, trace: r.trace, m: r.m,
		Metadata: Metadata{GuardTraceSkipped: r.Metadata.GuardTraceSkipped}}
	if x.stop == stopCancelled {
		m.fail(r, ErrCodeCancelled, fmt.Sprintf("processing %q from %q was stopped: the caller is gone", r.Trigger, r.SourceState))
		return
	}
	b := x.meter.budget
	m.fail(r, ErrCodeGuardBudgetExceeded, fmt.Sprintf("the guards of %q from %q need more than one event may spend (%d operations, %d bytes built); make the guard expressions simpler",
		r.Trigger, r.SourceState, b.TotalOps, b.TotalMemory))
}

// callGuard runs a Go guard; a panic fails the guard instead of the process.
func callGuard(fn GuardFunc, env Context) (ok bool, reason string) {
	defer func() {
		if p := recover(); p != nil {
			ok, reason = false, fmt.Sprintf("the guard panicked: %v", p)
		}
	}()
	return fn(env), ""
}

// applyPlain fills a successful result for a current state outside parallel
// states. With the source itself as current state everything is precomputed.
func (m *Machine) applyPlain(r *Result, cur int32, c cand) {
	t, p := c.t, c.p
	r.Success = true
	r.TargetState = p.target
	r.ActionsToExecute = t.actions
	r.OnEnterActions = p.enterActions
	r.Timers = p.timers
	r.Metadata.TransitionDescription = t.description
	r.Metadata.Transition = t.meta
	if cur == p.source {
		r.OnExitActions = p.exitActions
		r.AllActions = p.all
		return
	}
	if e, ok := p.desc[cur]; ok {
		r.OnExitActions, r.AllActions = e.exits, e.all
		return
	}
	r.OnExitActions = m.exitChain(nil, cur, p.lca)
	r.AllActions = concatNames(r.OnExitActions, t.actions, p.enterActions)
}

func (m *Machine) fail(r *Result, code, msg string) {
	r.Success = false
	r.TargetState = ""
	r.Error = &Error{Code: code, Type: errorTypes[code], Message: msg}
	if r.Metadata.Reason == "" {
		r.Metadata.Reason = code
	}
}

func (m *Machine) guardNotFound(r *Result, name string) {
	r.Metadata.Reason = "guard_not_found"
	r.Metadata.GuardName = name
	m.fail(r, ErrCodeGuardNotFound, fmt.Sprintf("the guard %q has no definition: define it under `guards:`, register it in Go, or pass a value for it", name))
	r.Error.GuardName = name
}

// noCandidate answers an event no transition handles (SPEC 3.1 step 4).
func (m *Machine) noCandidate(r *Result, cfg *config, known bool) {
	if !m.def.Meta.StrictMode {
		r.Success = true
		r.TargetState = r.SourceState
		if cfg != nil {
			r.TargetState = m.configString(cfg.leaves)
		}
		r.Metadata.NoOp = true
		r.Metadata.Reason = "no_matching_transition"
		return
	}
	if !known {
		m.fail(r, ErrCodeUndefinedTrigger, fmt.Sprintf("%q is not a trigger of %s", r.Trigger, m.def.Meta.MachineName))
		r.Error.AvailableTriggers = append([]string(nil), m.triggers...)
		return
	}
	m.fail(r, ErrCodeInvalidTransition, fmt.Sprintf("no transition for %q from %q", r.Trigger, r.SourceState))
}

func contextMessage(probs []ContextProblem) string {
	parts := make([]string, len(probs))
	for i, p := range probs {
		parts[i] = p.Key + " " + p.Problem
	}
	return "the context does not match state_variables: " + strings.Join(parts, "; ")
}

// stateHint suggests the closest state name for an unknown one.
func (m *Machine) stateHint(name string) string {
	best, bestD := "", 3
	for _, n := range m.nodes {
		if n.kind != kindState {
			continue
		}
		if d := EditDistance(name, n.name); d < bestD {
			best, bestD = n.name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
