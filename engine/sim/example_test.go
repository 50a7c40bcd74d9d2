package sim_test

import (
	"fmt"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
)

// One request of the simulator: read the posted trace, apply the posted
// operation, replay once, show the cursor, the log and why events are
// disabled.
func Example() {
	m, _, _ := engine.Load([]byte(`meta: {machine_name: door}
guards: {unlocked: "not locked"}
states:
  - {name: closed, type: initial, timeout: {seconds: 30, destination: alarm}}
  - {name: open}
  - {name: alarm, type: terminal}
transitions:
  - {trigger: push, source: closed, dest: open, guards: [unlocked]}
  - {trigger: pull, source: open, dest: closed}
`))
	lim := sim.DefaultLimits()
	trace, _ := sim.ParseTrace([]byte(`{"context":{"locked":false},"steps":[{"kind":"event","trigger":"push"},{"kind":"event","trigger":"pull"}],"at":2}`), lim)
	s, _ := sim.New(m, trace, lim)
	form := sim.Form{sim.FieldOp: {string(sim.OpContextJSON)}, sim.FieldContextJSON: {`{"locked": true}`}}
	if err := s.Apply(sim.ParseOperation(form)); err != nil {
		fmt.Println(sim.Message(err))
	}
	run := s.Run()
	for _, e := range run.Log {
		fmt.Println(e.Index+1, e.Label, len(e.Events), "event(s)")
	}
	fmt.Println("state:", run.Cursor.State, "at", sim.FormatClock(run.Cursor.Clock))
	for _, t := range run.Cursor.Timers {
		fmt.Println("timer:", t.Trigger, "due at", sim.FormatClock(t.Due))
	}
	for _, c := range sim.CheckEvents(m, run.Cursor.State, run.Cursor.Context, run.Cursor.GuardValues, nil, lim) {
		fmt.Printf("%s enabled: %v %s\n", c.Trigger, c.Enabled(), c.Reason)
	}
	// Output:
	// 1 push 1 event(s)
	// 2 pull 1 event(s)
	// 3 context edited 0 event(s)
	// state: closed at 00:00:00
	// timer: _timeout due at 00:00:30
	// push enabled: false not locked: not true is false
}
