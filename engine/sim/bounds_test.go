package sim_test

import (
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
)

// pingPong is two states that hand over to each other every millisecond.
const pingPong = `meta: {machine_name: ping_pong}
states:
  - {name: a, type: initial}
  - {name: b}
transitions:
  - {trigger: tick, source: a, dest: b, after: 1}
  - {trigger: tock, source: b, dest: a, after: 1}
`

func steps(n int, s sim.Step) []sim.Step {
	out := make([]sim.Step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestReplayBounds is the attack of issue 11 and its relatives: timers
// that re-arm each other, advanced by years, fire at most MaxTimerFirings
// times in one replay, the log keeps at most MaxLogEntries entries, and the
// run says so.
func TestReplayBounds(t *testing.T) {
	tenYears := sim.DefaultLimits().MaxAdvance.Milliseconds()
	tests := []struct {
		name        string
		machine     string
		steps       []sim.Step
		lim         sim.Limits
		wantFirings int
		wantKept    int
		wantOmitted int
		wantStopped bool
		wantStopAt  int
		wantLog     int
		wantState   string
		wantNotices []string
	}{
		{"ping-pong advanced by 10 years, 60 times", pingPong, steps(60, sim.Step{Kind: sim.StepAdvance, Ms: tenYears}), sim.Limits{},
			10000, 2000, 8000, true, 0, 1, "a", []string{
				"The simulation stopped after 10,000 timer firings, in step 1; the steps after it were not replayed. Go back to an earlier step, or reset.",
				"The log keeps 2,000 entries; 8,000 more are left out."}},
		{"small limits, exact counts", pingPong, steps(3, sim.Step{Kind: sim.StepAdvance, Ms: 1000}), sim.Limits{MaxTimerFirings: 100, MaxLogEntries: 30},
			100, 30, 70, true, 0, 1, "a", []string{
				"The simulation stopped after 100 timer firings, in step 1; the steps after it were not replayed. Go back to an earlier step, or reset.",
				"The log keeps 30 entries; 70 more are left out."}},
		{"the budget spans steps", pingPong, steps(5, sim.Step{Kind: sim.StepAdvance, Ms: 40}), sim.Limits{MaxTimerFirings: 100, MaxLogEntries: 1000},
			100, 100, 0, true, 2, 3, "a", []string{
				"The simulation stopped after 100 timer firings, in step 3; the steps after it were not replayed. Go back to an earlier step, or reset."}},
		{"within the budget nothing is said", pingPong, steps(2, sim.Step{Kind: sim.StepAdvance, Ms: 40}), sim.Limits{MaxTimerFirings: 100, MaxLogEntries: 1000},
			80, 80, 0, false, 0, 2, "a", nil},
		{"exactly the budget is not past it", pingPong, steps(1, sim.Step{Kind: sim.StepAdvance, Ms: 100}), sim.Limits{MaxTimerFirings: 100},
			100, 100, 0, false, 0, 1, "a", nil},
		{"next timer counts against the budget", pingPong, steps(5, sim.Step{Kind: sim.StepNextTimer}), sim.Limits{MaxTimerFirings: 3},
			3, 3, 0, true, 3, 4, "b", []string{
				"The simulation stopped after 3 timer firings, in step 4; the steps after it were not replayed. Go back to an earlier step, or reset."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := load(t, tc.machine)
			tr := sim.NewTrace()
			tr.Steps, tr.At = tc.steps, len(tc.steps)
			r, err := sim.Replay(m, tr, tc.lim)
			if err != nil {
				t.Fatal(err)
			}
			events, lines := 0, 0
			for _, e := range r.Log {
				events += len(e.Events)
				lines += len(e.Events) + len(e.Changes) + len(e.Cancelled)
			}
			if r.Firings != tc.wantFirings || r.Kept != tc.wantKept || r.Omitted != tc.wantOmitted || lines != r.Kept {
				t.Errorf("fired %d, kept %d (%d in the log), omitted %d; want %d, %d, %d", r.Firings, r.Kept, lines, r.Omitted, tc.wantFirings, tc.wantKept, tc.wantOmitted)
			}
			if r.Stopped != tc.wantStopped || (r.Stopped && r.StoppedAt != tc.wantStopAt) || len(r.Log) != tc.wantLog {
				t.Errorf("stopped %v at %d with %d steps logged, want %v at %d with %d", r.Stopped, r.StoppedAt, len(r.Log), tc.wantStopped, tc.wantStopAt, tc.wantLog)
			}
			if r.Cursor.State != tc.wantState {
				t.Errorf("state %s, want %s", r.Cursor.State, tc.wantState)
			}
			if strings.Join(r.Notices, "\n") != strings.Join(tc.wantNotices, "\n") {
				t.Errorf("notices\n%q\nwant\n%q", r.Notices, tc.wantNotices)
			}
		})
	}
}

// TestStoppedCursor: when the replay stops before the cursor, the cursor
// frame is where it stopped (its clock at the last timer fired).
func TestStoppedCursor(t *testing.T) {
	m := load(t, pingPong)
	tr := sim.NewTrace()
	tr.Steps = []sim.Step{{Kind: sim.StepAdvance, Ms: 1000}, {Kind: sim.StepEvent, Trigger: "nothing"}}
	tr.At = 2
	r, err := sim.Replay(m, tr, sim.Limits{MaxTimerFirings: 7})
	if err != nil {
		t.Fatal(err)
	}
	if r.Cursor.State != "b" || sim.FormatClock(r.Cursor.Clock) != "00:00:00.007" || len(r.Log) != 1 {
		t.Errorf("cursor %s at %s, %d steps logged; want b at 00:00:00.007, 1", r.Cursor.State, sim.FormatClock(r.Cursor.Clock), len(r.Log))
	}
	// a legitimate long advance under the budget: a traffic light for an hour
	light := loadExample(t, "traffic_light")
	tr = sim.NewTrace()
	tr.Steps, tr.At = []sim.Step{{Kind: sim.StepAdvance, Ms: 3600 * 1000}}, 1
	r, err = sim.Replay(light, tr, sim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Stopped || r.Firings == 0 || sim.FormatClock(r.Cursor.Clock) != "01:00:00" {
		t.Errorf("an hour of traffic light: stopped %v, %d firings, clock %s", r.Stopped, r.Firings, sim.FormatClock(r.Cursor.Clock))
	}
}

// TestReplayOnce: an operation that reads the context at the cursor (fill,
// the context form) and the run that follows replay the trace once: a Go
// guard counts the events processed.
func TestReplayOnce(t *testing.T) {
	text := `meta: {machine_name: counted}
state_variables:
  - {key: n, type: number, default: 7}
states:
  - {name: a, type: initial}
transitions:
  - {trigger: step, source: a, dest: a, guards: [counted]}
`
	for _, op := range []sim.Form{form("fill"), form("context", "ctx.n", "3"), form("event:step"), form("refresh"), form("goto:4")} {
		t.Run(op.Value(sim.FieldOp), func(t *testing.T) {
			calls := 0
			reg := engine.NewGuardRegistry().MustRegister("counted", func(engine.Context) bool { calls++; return true })
			m, _, err := engine.Load([]byte(text), engine.WithGuards(reg))
			if err != nil {
				t.Fatal(err)
			}
			tr := sim.NewTrace()
			tr.Steps, tr.At = steps(10, sim.Step{Kind: sim.StepEvent, Trigger: "step"}), 5
			s, err := sim.New(m, tr, sim.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Apply(sim.ParseOperation(op)); err != nil {
				t.Fatal(err)
			}
			r := s.Run()
			want := 0
			for _, st := range r.Trace.Steps {
				if st.Kind == sim.StepEvent {
					want++
				}
			}
			if calls != want {
				t.Errorf("the guard ran %d times for %d event steps", calls, want)
			}
		})
	}
}
