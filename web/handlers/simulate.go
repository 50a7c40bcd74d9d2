package handlers

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/web/templates"
)

// The simulator is stateless on the server: the page holds a Trace (where the
// simulation starts and what the user did) and posts it with an operation;
// the server applies the operation, replays the whole trace on an
// engine.Session with a virtual clock and renders the panel. The same trace
// in a share link reproduces the simulation exactly.

// Trace is a replayable simulation.
type Trace struct {
	Context     engine.Context  `json:"context"`
	GuardValues map[string]bool `json:"guard_values,omitempty"`
	Steps       []TraceStep     `json:"steps"`
	At          int             `json:"at"` // how many steps are applied (time travel)
}

// TraceStep is one thing the user did.
type TraceStep struct {
	Kind    string         `json:"kind"` // event, context, advance, next_timer
	Trigger string         `json:"trigger,omitempty"`
	Payload engine.Context `json:"payload,omitempty"`
	Context engine.Context `json:"context,omitempty"`
	Ms      int64          `json:"ms,omitempty"`
}

// maxTraceSteps bounds a simulation (each request replays it).
const maxTraceSteps = 1000

// simEpoch is where the virtual clock starts; times are shown relative to it.
var simEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// SimulatorModel is what the page script needs to start the simulator.
type SimulatorModel struct {
	Initial string `json:"initial"`
}

func simulatorModel(m *engine.Machine) *SimulatorModel {
	return &SimulatorModel{Initial: m.InitialState()}
}

func parseTrace(raw string) (Trace, error) {
	t := Trace{Context: engine.Context{}}
	if strings.TrimSpace(raw) == "" || raw == "null" {
		return t, nil
	}
	if err := json.Unmarshal([]byte(raw), &t); err != nil {
		return Trace{Context: engine.Context{}}, fmt.Errorf("the simulation state is not valid JSON: %v", err)
	}
	if t.Context == nil {
		t.Context = engine.Context{}
	}
	if len(t.Steps) > maxTraceSteps {
		return Trace{Context: engine.Context{}}, fmt.Errorf("the simulation has %d steps; the limit is %d", len(t.Steps), maxTraceSteps)
	}
	if t.At < 0 || t.At > len(t.Steps) {
		t.At = len(t.Steps)
	}
	if d := valueDepth(t.Context); d > MaxJSONDepth {
		return Trace{Context: engine.Context{}}, fmt.Errorf("the simulation context is nested %d levels deep; the limit is %d", d, MaxJSONDepth)
	}
	return t, nil
}

// branch drops the steps after the cursor: the next action starts a new branch.
func (t *Trace) branch() { t.Steps = t.Steps[:t.At] }

func (t *Trace) push(s TraceStep) {
	t.branch()
	t.Steps = append(t.Steps, s)
	t.At = len(t.Steps)
}

// setContext records a context edit at the cursor: the initial context before
// any step, a context step after.
func (t *Trace) setContext(c engine.Context) {
	if t.At == 0 {
		t.Steps = nil
		t.Context = c
		return
	}
	t.push(TraceStep{Kind: "context", Context: c})
}

// replayed is a simulation replayed up to its cursor, with the log of every step.
type replayed struct {
	m       *engine.Machine
	state   string
	ctx     engine.Context
	timers  []engine.PendingTimer
	now     time.Duration
	log     []templates.SimStep
	err     string // why the trace does not fit the machine
	values  engine.GuardValues
	history []engine.Step
}

func replay(m *engine.Machine, t Trace) *replayed {
	clock := engine.NewManualClock(simEpoch)
	values := engine.GuardValues{}
	for k, v := range t.GuardValues {
		values[k] = v
	}
	s := m.Create(t.Context, engine.WithClock(clock), engine.WithGuardValues(values))
	r := &replayed{m: m, values: values}
	capture := func() {
		r.state, r.ctx, r.timers, r.now = s.State(), s.Context(), s.Timers(), clock.Now().Sub(simEpoch)
	}
	capture()
	for i, st := range t.Steps {
		before, timersBefore := s.Context(), s.Timers()
		histBefore := len(s.History())
		entry := templates.SimStep{Index: i, Future: i >= t.At}
		switch st.Kind {
		case "event":
			s.Send(st.Trigger, st.Payload)
			entry.Label = st.Trigger
			if len(st.Payload) > 0 {
				entry.Label += " " + compactJSON(st.Payload)
			}
		case "context":
			s.SetContext(st.Context)
			entry.Label = "context edited"
		case "advance":
			if _, err := s.Advance(time.Duration(st.Ms) * time.Millisecond); err != nil && r.err == "" {
				r.err = err.Error()
			}
			entry.Label = "advance " + fmtDuration(time.Duration(st.Ms)*time.Millisecond)
		case "next_timer":
			if _, err := s.AdvanceToNext(); err != nil && r.err == "" {
				r.err = err.Error()
			}
			entry.Label = "next timer"
		default:
			entry.Label = "unknown step " + st.Kind
		}
		for _, h := range s.History()[histBefore:] {
			ev := templates.SimEvent{Trigger: h.Trigger, From: h.From, To: h.To, Success: h.Success, Actions: h.Actions, ByTimer: h.Timer}
			if h.Error != nil {
				ev.Error = h.Error.Message
			}
			entry.Events = append(entry.Events, ev)
		}
		entry.Changes = contextChanges(before, s.Context())
		entry.Cancelled = cancelledTimers(timersBefore, s.Timers(), entry.Events)
		entry.Clock = fmtClock(clock.Now().Sub(simEpoch))
		r.log = append(r.log, entry)
		if i+1 == t.At {
			capture()
		}
	}
	return r
}

// cancelledTimers lists timers that were pending before a step and neither
// fired nor remain after it: leaving their state cancelled them.
func cancelledTimers(before, after []engine.PendingTimer, events []templates.SimEvent) []string {
	left := map[string]int{}
	for _, t := range after {
		left[timerKey(t)]++
	}
	fired := map[string]int{}
	for _, e := range events {
		if e.ByTimer {
			fired[e.Trigger]++
		}
	}
	var out []string
	for _, t := range before {
		k := timerKey(t)
		if left[k] > 0 {
			left[k]--
			continue
		}
		if fired[t.Trigger] > 0 {
			fired[t.Trigger]--
			continue
		}
		out = append(out, fmt.Sprintf("%s of %s", t.Trigger, t.State))
	}
	return out
}

func timerKey(t engine.PendingTimer) string {
	return t.Trigger + "|" + t.State + "|" + t.Due.String()
}

func contextChanges(before, after engine.Context) []string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []string
	for _, k := range sortedKeys(keys) {
		b, inB := before[k]
		a, inA := after[k]
		switch {
		case !inA:
			out = append(out, k+" removed")
		case !inB:
			out = append(out, k+" = "+compactJSON(a))
		case compactJSON(a) != compactJSON(b):
			out = append(out, k+": "+compactJSON(b)+" → "+compactJSON(a))
		}
	}
	return out
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func fmtClock(d time.Duration) string {
	ms := d.Milliseconds()
	s := ms / 1000
	out := fmt.Sprintf("%02d:%02d:%02d", s/3600, (s/60)%60, s%60)
	if ms%1000 != 0 {
		out += fmt.Sprintf(".%03d", ms%1000)
	}
	return out
}

func fmtDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// Simulate answers POST /workspace/simulate: it applies one operation to the
// posted trace and renders the simulator panel.
func (h *Pages) Simulate(c echo.Context) error {
	text := formText(c, "yaml")
	m, problems, err := engine.Load([]byte(text))
	if err != nil {
		return Render(c, http.StatusOK, templates.SimulatorUnavailable(len(problems.Errors())))
	}
	trace, terr := parseTrace(c.FormValue("trace"))
	var flash string
	if terr != nil {
		flash = terr.Error() + " The simulation was reset."
	}
	form, err := c.FormParams()
	if err != nil {
		return BadRequest("the simulator form could not be read: %v", err)
	}
	op, arg, _ := strings.Cut(c.FormValue("op"), ":")
	if msg := applyOp(m, &trace, op, arg, form); msg != "" {
		flash = msg
	}
	return Render(c, http.StatusOK, templates.Simulator(simulatorView(m, trace, form, flash)))
}

type formValues = map[string][]string

func formValue(f formValues, key string) string {
	if v := f[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// applyOp changes the trace; a returned message explains a refused change.
func applyOp(m *engine.Machine, t *Trace, op, arg string, f formValues) string {
	def := m.Definition()
	switch op {
	case "", "refresh":
	case "event":
		payload, err := readPayload(def, arg, f)
		if err != nil {
			return err.Error()
		}
		t.push(TraceStep{Kind: "event", Trigger: arg, Payload: payload})
	case "goto":
		i, err := strconv.Atoi(arg)
		if err != nil || i < 0 || i > len(t.Steps) {
			return "there is no such step"
		}
		t.At = i
	case "reset":
		t.Steps, t.At = nil, 0
	case "fill":
		c := currentContext(m, *t)
		for k, v := range def.Defaults() {
			c[k] = v
		}
		t.setContext(c)
	case "context":
		c := currentContext(m, *t)
		for _, v := range def.StateVariables {
			raw, ok := f["ctx."+v.Key]
			if !ok {
				if v.Type == engine.TypeBoolean {
					c[v.Key] = false // an unchecked checkbox is not sent
				}
				continue
			}
			val, err := parseTyped(v, raw[0])
			if err != nil {
				return err.Error()
			}
			if val == nil {
				delete(c, v.Key)
			} else {
				c[v.Key] = val
			}
		}
		t.setContext(c)
	case "context_json":
		var c engine.Context
		if err := json.Unmarshal([]byte(formValue(f, "ctx_json")), &c); err != nil || c == nil {
			return "The context must be a JSON object, such as {\"order_qty\": 100}."
		}
		if d := valueDepth(c); d > MaxJSONDepth {
			return fmt.Sprintf("The context is nested %d levels deep; the limit is %d.", d, MaxJSONDepth)
		}
		t.setContext(c)
	case "guards":
		t.GuardValues = map[string]bool{}
		for _, g := range unboundGuards(def) {
			t.GuardValues[g] = formValue(f, "guard."+g) == "true"
		}
	case "next_timer":
		t.push(TraceStep{Kind: "next_timer"})
	case "advance":
		secs, err := strconv.ParseFloat(formValue(f, "seconds"), 64)
		if err != nil || secs <= 0 || secs > 10*365*24*3600 || math.IsNaN(secs) {
			return "Advance by a number of seconds greater than 0."
		}
		t.push(TraceStep{Kind: "advance", Ms: int64(secs * 1000)})
	default:
		return fmt.Sprintf("unknown simulator operation %q", op)
	}
	if len(t.Steps) > maxTraceSteps {
		t.Steps = t.Steps[:maxTraceSteps]
		t.At = min(t.At, maxTraceSteps)
		return fmt.Sprintf("A simulation keeps at most %d steps.", maxTraceSteps)
	}
	return ""
}

// currentContext is the context at the trace's cursor.
func currentContext(m *engine.Machine, t Trace) engine.Context {
	return replay(m, t).ctx.Clone()
}

// parseTyped reads a form field as the variable's type; "" means absent.
func parseTyped(v engine.Variable, raw string) (any, error) {
	s := strings.TrimSpace(raw)
	switch v.Type {
	case engine.TypeBoolean:
		return s == "true" || s == "on", nil
	case engine.TypeNumber, engine.TypeInteger:
		if s == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, fmt.Errorf("%s must be a number, not %q", v.Key, raw)
		}
		if v.Type == engine.TypeInteger && f != math.Trunc(f) {
			return nil, fmt.Errorf("%s must be a whole number, not %q", v.Key, raw)
		}
		return f, nil
	case engine.TypeObject, engine.TypeArray:
		if s == "" {
			return nil, nil
		}
		var x any
		if err := json.Unmarshal([]byte(s), &x); err != nil {
			return nil, fmt.Errorf("%s must be JSON (%s), not %q", v.Key, v.Type, raw)
		}
		if p := typeCheck(v, x); p != "" {
			return nil, fmt.Errorf("%s %s", v.Key, p)
		}
		return x, nil
	}
	if s == "" && raw == "" {
		return nil, nil
	}
	return raw, nil
}

func typeCheck(v engine.Variable, x any) string {
	probs := engine.CheckContext([]engine.Variable{{Key: v.Key, Type: v.Type}}, engine.Context{v.Key: x})
	if len(probs) > 0 {
		return probs[0].Problem
	}
	return ""
}

// readPayload reads an event's payload form: declared fields, or JSON.
func readPayload(def *engine.Definition, trigger string, f formValues) (engine.Context, error) {
	out := engine.Context{}
	if ev, ok := def.Event(trigger); ok && len(ev.Payload) > 0 {
		for _, v := range ev.Payload {
			raw, ok := f["payload."+trigger+"."+v.Key]
			if !ok {
				continue
			}
			val, err := parseTyped(v, raw[0])
			if err != nil {
				return nil, err
			}
			if val != nil {
				out[v.Key] = val
			}
		}
		return out, nil
	}
	raw := strings.TrimSpace(formValue(f, "payload."+trigger+".json"))
	if raw == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil || out == nil {
		return nil, fmt.Errorf("the payload of %s must be a JSON object, such as {\"fill_qty\": 50}", trigger)
	}
	return out, nil
}

// unboundGuards lists the named guards that have no definition (the
// simulator asks for their values).
func unboundGuards(def *engine.Definition) []string {
	defined := map[string]bool{}
	for _, g := range def.Guards {
		defined[g.Name] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, t := range def.Transitions {
		for _, g := range t.Guards {
			if g.Name != "" && !defined[g.Name] && !seen[g.Name] {
				seen[g.Name] = true
				out = append(out, g.Name)
			}
		}
	}
	return out
}

func simulatorView(m *engine.Machine, t Trace, f formValues, flash string) templates.SimulatorView {
	r := replay(m, t)
	def := m.Definition()
	v := templates.SimulatorView{
		State: r.state, Clock: fmtClock(r.now), Flash: flash, Problem: r.err, Steps: r.log, At: t.At,
		Terminal: m.IsTerminal(r.state),
	}
	ids, _ := m.Highlight(r.state)
	// context form
	for _, sv := range def.StateVariables {
		fv := templates.SimField{Key: sv.Key, Type: sv.Type, Description: sv.Description, Required: sv.Required}
		if val, ok := r.ctx[sv.Key]; ok && val != nil {
			fv.Set = true
			fv.Value = fieldText(val)
			if b, ok := val.(bool); ok {
				fv.Checked = b
			}
		}
		if sv.HasDefault && sv.Default != nil {
			fv.Default = fieldText(sv.Default)
		}
		v.Fields = append(v.Fields, fv)
	}
	raw, _ := json.MarshalIndent(r.ctx, "", "  ")
	v.ContextJSON = string(raw)
	// timers
	v.Timers = simTimers(r.timers, r.now)
	// guard toggles
	for _, g := range unboundGuards(def) {
		val, ok := t.GuardValues[g]
		v.Guards = append(v.Guards, templates.SimGuard{Name: g, Value: val || !ok})
	}
	v.Events = eventButtons(m, r.state, r.ctx, r.values, f)
	v.TraceJSON = compactJSON(t)
	v.Data = map[string]any{"state": r.state, "highlight": orEmptyStrings(ids), "trace": t}
	return v
}

// eventButtons makes one button per trigger available in state: each is
// tried against the context (with the payload typed so far) and disabled
// with the reason when its guards refuse it. The simulator and the entity
// page both use it.
func eventButtons(m *engine.Machine, state string, ctx engine.Context, values engine.GuardValues, f formValues) []templates.SimEventButton {
	def := m.Definition()
	var out []templates.SimEventButton
	for _, trig := range m.TriggersFrom(state) {
		ev := templates.SimEventButton{Trigger: trig}
		declaredEv, hasDecl := def.Event(trig)
		if hasDecl {
			ev.Description = declaredEv.Description
			for _, pv := range declaredEv.Payload {
				pf := templates.SimField{Key: pv.Key, Type: pv.Type, Description: pv.Description, Required: pv.Required}
				if vals, ok := f["payload."+trig+"."+pv.Key]; ok {
					pf.Value = vals[0]
					pf.Checked = vals[0] == "true"
				}
				ev.Payload = append(ev.Payload, pf)
			}
		}
		if !hasDecl || len(declaredEv.Payload) == 0 {
			ev.JSON = true
			ev.JSONValue = formValue(f, "payload."+trig+".json")
		}
		payload, perr := readPayload(def, trig, f)
		switch {
		case perr != nil:
			ev.Reason = perr.Error()
		case m.IsTerminal(state):
			ev.Reason = state + " is a terminal state"
		default:
			if missing := missingRequired(declaredEv, payload, ctx); hasDecl && missing != "" {
				ev.Reason = "the payload needs " + missing
				break
			}
			res := m.ProcessWith(state, trig, ctx, engine.ProcessOptions{Payload: payload, GuardValues: values})
			if !res.Success {
				ev.Reason = explain(m, &res)
			} else if res.TargetState != state {
				ev.Target = res.TargetState
			}
		}
		ev.Disabled = ev.Reason != ""
		out = append(out, ev)
	}
	return out
}

func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func missingRequired(ev engine.EventDef, payload, ctx engine.Context) string {
	var miss []string
	for _, p := range ev.Payload {
		if !p.Required {
			continue
		}
		if v, ok := payload[p.Key]; ok && v != nil {
			continue
		}
		miss = append(miss, p.Key)
	}
	return strings.Join(miss, ", ")
}

func fieldText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return compactJSON(v)
}

// explain says why an event is refused, from the result's guard trace: for an
// expression the operands are put in, e.g. "fill_qty >= order_qty: 50 >= 100 is false".
func explain(m *engine.Machine, res *engine.Result) string {
	if res.Error == nil {
		return ""
	}
	if res.Error.Code != engine.ErrCodeGuardRejected {
		return res.Error.Message
	}
	exprs := map[string]string{}
	for _, g := range m.Definition().Guards {
		exprs[g.Name] = g.Expr
	}
	trace := res.GuardTrace()
	var parts []string
	for _, e := range trace {
		for _, g := range e.Guards {
			if g.Passed {
				continue
			}
			why := describeFailure(g, exprs)
			if len(trace) > 1 {
				why = "→ " + e.Dest + ": " + why
			}
			parts = append(parts, why)
		}
	}
	if len(parts) == 0 {
		return res.Error.Message
	}
	return strings.Join(parts, "; ")
}

func describeFailure(g engine.GuardCheck, exprs map[string]string) string {
	label := g.Guard
	src, named := exprs[g.Guard]
	if !named {
		src = g.Guard
	}
	switch g.Kind {
	case engine.GuardKindExpression:
		prefix := src
		if named {
			prefix = g.Guard + " (" + src + ")"
		}
		if g.Error != "" {
			return prefix + ": " + g.Error
		}
		return src + ": " + substitute(src, g.Values) + " is false"
	case engine.GuardKindValue:
		return label + " is switched off"
	case engine.GuardKindFunction:
		if g.Error != "" {
			return label + ": " + g.Error
		}
		return label + " returned false"
	}
	if g.Error != "" {
		return label + ": " + g.Error
	}
	return label + " is false"
}

var operandRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*`)

// substitute writes the values an expression read in place of their names.
func substitute(src string, values engine.Operands) string {
	byName := map[string]any{}
	for _, op := range values {
		byName[op.Name] = op.Value
	}
	return operandRe.ReplaceAllStringFunc(src, func(name string) string {
		v, ok := byName[name]
		if !ok {
			return name
		}
		if v == nil {
			return "None"
		}
		return compactJSON(v)
	})
}
