package pages

import (
	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
	"github.com/statorhq/stator/web/templates"
)

// simTransitions says, for each trigger available in the current state, what
// its candidate transitions would do now: the one that would fire is
// available; the others carry why not (the event button's data-reason when
// the event is refused, else their own failed guard) and the answer of each
// guard the engine evaluated. The
// diagram marks and explains its edges with it (SPEC 7.1: simulation on the
// diagram). Candidates after the one that fires are not evaluated and are
// left out.
func simTransitions(m *engine.Machine, at sim.Frame, checks []sim.EventCheck) []templates.SimTransition {
	out := []templates.SimTransition{}
	for _, c := range checks {
		res := m.ProcessWith(at.State, c.Trigger, at.Context, engine.ProcessOptions{Payload: c.Payload, GuardValues: at.GuardValues})
		for _, e := range res.GuardTrace() {
			st := templates.SimTransition{Index: e.Transition, Trigger: c.Trigger, Available: c.Enabled() && res.Success}
			failed := ""
			for _, g := range e.Guards {
				st.Guards = append(st.Guards, templates.SimGuardAnswer{Guard: g.Guard, Passed: g.Passed, Error: g.Error})
				if !g.Passed {
					st.Available = false
					failed = "its guard " + g.Guard + " is false"
					if g.Error != "" {
						failed = "its guard " + g.Guard + " failed: " + g.Error
					}
				}
			}
			switch {
			case st.Available:
			case !c.Enabled():
				st.Reason = c.Reason // the event button's data-reason
			case failed != "":
				st.Reason = failed + " (" + c.Trigger + " takes another transition)"
			default:
				st.Reason = "not taken now"
			}
			out = append(out, st)
		}
	}
	return out
}
