package pages

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// The simulator's domain (the trace, its operations, the replay, the
// explanations) is package engine/sim; this file reads the form, applies
// the operation, replays once and maps the run to the panel's view.

// Simulate answers POST /workspace/simulate: it applies one operation to the
// posted trace and renders the simulator panel.
func Simulate(c echo.Context) error {
	m, problems, err := engine.Load([]byte(formText(c, "yaml")))
	if err != nil {
		return Render(c, http.StatusOK, templates.SimulatorUnavailable(len(problems.Errors())))
	}
	params, err := c.FormParams()
	if err != nil {
		return &store.Error{Code: store.EINVALID, Message: "the simulator form could not be read", Err: err}
	}
	f := sim.Form(params)
	lim := sim.DefaultLimits()
	var flash string
	trace, err := sim.ParseTrace([]byte(f.Value(sim.FieldTrace)), lim)
	if err != nil {
		flash = sim.Message(err) + " The simulation was reset."
	}
	s, err := sim.New(m, trace, lim)
	if err != nil {
		return err // a parsed trace is valid
	}
	if err := s.Apply(sim.ParseOperation(f)); err != nil {
		flash = sim.Message(err)
	}
	return Render(c, http.StatusOK, templates.Simulator(simulatorView(m, s.Run(), f, flash)))
}

// simulatorView maps a run to the panel.
func simulatorView(m *engine.Machine, r *sim.Run, f sim.Form, flash string) templates.SimulatorView {
	def := m.Definition()
	at := r.Cursor
	v := templates.SimulatorView{
		State: at.State, Clock: sim.FormatClock(at.Clock), Flash: flash, Problem: strings.Join(r.Notices, " "),
		At: r.Trace.At, Terminal: m.IsTerminal(at.State),
	}
	for _, e := range r.Log {
		v.Steps = append(v.Steps, simStep(e))
	}
	for _, sv := range def.StateVariables {
		fv := templates.SimField{Key: sv.Key, Type: sv.Type, Description: sv.Description, Required: sv.Required}
		if val, ok := at.Context[sv.Key]; ok && val != nil {
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
	raw, _ := json.MarshalIndent(at.Context, "", "  ")
	v.ContextJSON = string(raw)
	v.Timers = simTimers(at.Timers, at.Clock)
	for _, g := range sim.UnboundGuards(def) {
		val, ok := r.Trace.GuardValues[g]
		v.Guards = append(v.Guards, templates.SimGuard{Name: g, Value: val || !ok})
	}
	checks := sim.CheckEvents(m, at.State, at.Context, at.GuardValues, f, sim.DefaultLimits())
	v.Events = eventButtons(checks, f)
	ids, _ := m.Highlight(at.State)
	v.TraceJSON = compactJSON(r.Trace)
	v.Data = templates.SimulatorData{State: at.State, Highlight: orEmptyStrings(ids), Trace: r.Trace, Transitions: simTransitions(m, at, checks)}
	return v
}

func simStep(e sim.Entry) templates.SimStep {
	s := templates.SimStep{Index: e.Index, Label: e.Label, Future: e.Future, Clock: sim.FormatClock(e.Clock)}
	for _, ev := range e.Events {
		s.Events = append(s.Events, templates.SimEvent{Trigger: ev.Trigger, From: ev.From, To: ev.To, Success: ev.Success,
			Error: ev.Error, Actions: ev.Actions, ByTimer: ev.ByTimer})
	}
	for _, c := range e.Changes {
		s.Changes = append(s.Changes, c.String())
	}
	for _, t := range e.Cancelled {
		s.Cancelled = append(s.Cancelled, timerLabel(t.Trigger, t.Kind, t.State, t.AfterMs))
	}
	if e.Omitted > 0 {
		s.Changes = append(s.Changes, fmt.Sprintf("(%d more entries left out of the log)", e.Omitted))
	}
	return s
}

// eventButtons maps the checked events to buttons, each with its payload
// form as typed so far. The simulator and the entity page both use it.
func eventButtons(checks []sim.EventCheck, f sim.Form) []templates.SimEventButton {
	var out []templates.SimEventButton
	for _, c := range checks {
		b := templates.SimEventButton{Trigger: c.Trigger, Description: c.Event.Description, Target: c.Target, Reason: c.Reason, Disabled: !c.Enabled()}
		for _, pv := range c.Event.Payload {
			pf := templates.SimField{Key: pv.Key, Type: pv.Type, Description: pv.Description, Required: pv.Required}
			if vals, ok := f[sim.PayloadField(c.Trigger, pv.Key)]; ok && len(vals) > 0 {
				pf.Value = vals[0]
				pf.Checked = vals[0] == "true"
			}
			b.Payload = append(b.Payload, pf)
		}
		if len(c.Event.Payload) == 0 {
			b.JSON = true
			b.JSONValue = f.Value(sim.PayloadJSONField(c.Trigger))
		}
		out = append(out, b)
	}
	return out
}

func orEmptyStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// fieldText is a context value as a form field shows it.
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

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
