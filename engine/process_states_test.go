package engine_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/statorhq/stator/engine"
)

// TestHierarchy checks SPEC 3.4 on three levels of compound states.
func TestHierarchy(t *testing.T) {
	m := loadTestdata(t, "hierarchy.yaml")
	tests := []struct {
		name    string
		state   string
		trigger string
		want    moves
	}{
		{name: "entering a compound state follows initial_child to a leaf", state: "idle", trigger: "start",
			want: moves{Target: "scanning", Exit: []string{"exit_idle"}, Trans: []string{"t_start"}, Enter: []string{"enter_ops", "enter_trading", "enter_scanning"}}},
		{name: "siblings: the parent stays", state: "scanning", trigger: "signal",
			want: moves{Target: "analyzing", Exit: []string{"exit_scanning"}, Trans: []string{"t_signal"}, Enter: []string{"enter_analyzing"}}},
		{name: "cousins: exit and enter up to the least common ancestor", state: "analyzing", trigger: "escalate",
			want: moves{Target: "checking", Exit: []string{"exit_analyzing", "exit_trading"}, Trans: []string{"t_escalate"}, Enter: []string{"enter_review", "enter_checking"}}},
		{name: "self-transition runs only its own actions", state: "scanning", trigger: "rescan",
			want: moves{Target: "scanning", Trans: []string{"t_rescan"}}},
		{name: "child to parent does not exit or re-enter the parent", state: "analyzing", trigger: "reset",
			want: moves{Target: "scanning", Exit: []string{"exit_analyzing"}, Trans: []string{"t_reset"}, Enter: []string{"enter_scanning"}}},
		{name: "child to grandparent", state: "checking", trigger: "up",
			want: moves{Target: "scanning", Exit: []string{"exit_checking", "exit_review"}, Trans: []string{"t_up"}, Enter: []string{"enter_trading", "enter_scanning"}}},
		{name: "an ancestor's transition applies to a leaf two levels down", state: "scanning", trigger: "finish",
			want: moves{Target: "done", Exit: []string{"exit_scanning", "exit_trading", "exit_ops"}, Trans: []string{"t_finish"}, Enter: []string{"enter_done"}}},
		{name: "the most specific source wins over the ancestor", state: "analyzing", trigger: "finish",
			want: moves{Target: "checking", Exit: []string{"exit_analyzing", "exit_trading"}, Trans: []string{"t_review"}, Enter: []string{"enter_review", "enter_checking"}}},
		{name: "a compound current state: exits start at it", state: "trading", trigger: "abort",
			want: moves{Target: "idle", Exit: []string{"exit_trading", "exit_ops"}, Trans: []string{"t_abort"}}},
		{name: "the outermost compound as current state", state: "ops", trigger: "finish",
			want: moves{Target: "done", Exit: []string{"exit_ops"}, Trans: []string{"t_finish"}, Enter: []string{"enter_done"}}},
		{name: "an ancestor's timeout applies to its children", state: "checking", trigger: "_timeout",
			want: moves{Target: "idle", Exit: []string{"exit_checking", "exit_review", "exit_ops"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkMoves(t, m.Process(tc.state, tc.trigger, nil), tc.want)
		})
	}
	t.Run("a compound current state does not see its children's transitions", func(t *testing.T) {
		res := m.Process("trading", "signal", nil)
		if res.Error == nil || res.Error.Code != engine.ErrCodeInvalidTransition {
			t.Errorf("result = %v %v, want invalid_transition", res.Success, res.Err())
		}
	})
	t.Run("the timeout transition is described", func(t *testing.T) {
		res := m.Process("scanning", "_timeout", nil)
		if got, want := res.Metadata.TransitionDescription, "timeout after 60s"; got != want {
			t.Errorf("description = %q, want %q", got, want)
		}
	})
}

// TestParallel checks SPEC 3.6.
func TestParallel(t *testing.T) {
	m := loadTestdata(t, "parallel.yaml")
	const start = "active:risk=normal,trading=scanning"
	tests := []struct {
		name        string
		state       string
		trigger     string
		want        moves
		wantRegions []engine.RegionResult
	}{
		{name: "entering enters every region at its initial state", state: "idle", trigger: "start",
			want: moves{Target: start, Exit: []string{"exit_idle"}, Trans: []string{"t_start"}, Enter: []string{"enter_active", "enter_scanning", "enter_normal"}}},
		{name: "entering from outside into a region state", state: "idle", trigger: "jump",
			want: moves{Target: "active:risk=normal,trading=sending", Exit: []string{"exit_idle"}, Trans: []string{"t_jump"}, Enter: []string{"enter_active", "enter_working", "enter_sending", "enter_normal"}}},
		{name: "two regions move: exits, then transitions, then enters, in region order", state: start, trigger: "tick",
			want: moves{Target: "active:risk=elevated,trading=sizing", Exit: []string{"exit_scanning", "exit_normal"}, Trans: []string{"t_trade", "t_risk"}, Enter: []string{"enter_working", "enter_sizing", "enter_elevated"}},
			wantRegions: []engine.RegionResult{
				{Region: "trading", SourceState: "scanning", TargetState: "sizing", Transition: 2},
				{Region: "risk", SourceState: "normal", TargetState: "elevated", Transition: 3},
			}},
		{name: "regions may be given in any order", state: "active:trading=scanning,risk=normal", trigger: "tick",
			want: moves{Target: "active:risk=elevated,trading=sizing", Exit: []string{"exit_scanning", "exit_normal"}, Trans: []string{"t_trade", "t_risk"}, Enter: []string{"enter_working", "enter_sizing", "enter_elevated"}},
			wantRegions: []engine.RegionResult{
				{Region: "trading", SourceState: "scanning", TargetState: "sizing", Transition: 2},
				{Region: "risk", SourceState: "normal", TargetState: "elevated", Transition: 3},
			}},
		{name: "a move inside a compound region state", state: "active:risk=elevated,trading=sizing", trigger: "send",
			want:        moves{Target: "active:risk=elevated,trading=sending", Exit: []string{"exit_sizing"}, Trans: []string{"t_send"}, Enter: []string{"enter_sending"}},
			wantRegions: []engine.RegionResult{{Region: "trading", SourceState: "sizing", TargetState: "sending", Transition: 4}}},
		{name: "a transition restricted to its region", state: "active:risk=elevated,trading=sending", trigger: "calm",
			want:        moves{Target: "active:risk=normal,trading=sending", Exit: []string{"exit_elevated"}, Trans: []string{"t_calm"}, Enter: []string{"enter_normal"}},
			wantRegions: []engine.RegionResult{{Region: "risk", SourceState: "elevated", TargetState: "normal", Transition: 9}}},
		{name: "a region leaving the parallel state pre-empts the later regions", state: start, trigger: "panic",
			want:        moves{Target: "halted", Exit: []string{"exit_scanning", "exit_normal", "exit_active"}, Trans: []string{"t_panic"}, Enter: []string{"enter_halted"}},
			wantRegions: []engine.RegionResult{{Region: "trading", SourceState: "scanning", TargetState: "halted", Transition: 5}}},
		{name: "an earlier region's move keeps its transition actions when a later one leaves", state: start, trigger: "alarm",
			want: moves{Target: "halted", Exit: []string{"exit_scanning", "exit_normal", "exit_active"}, Trans: []string{"t_alarm_trade", "t_alarm_risk"}, Enter: []string{"enter_halted"}},
			wantRegions: []engine.RegionResult{
				{Region: "trading", SourceState: "scanning", TargetState: "sizing", Transition: 7},
				{Region: "risk", SourceState: "normal", TargetState: "halted", Transition: 8},
			}},
		{name: "a transition on the parallel state exits every region, innermost first", state: "active:risk=elevated,trading=sending", trigger: "stop",
			want: moves{Target: "idle", Exit: []string{"exit_sending", "exit_working", "exit_elevated", "exit_active"}, Trans: []string{"t_stop"}}},
		{name: "a region state's timeout", state: start, trigger: "_timeout",
			want:        moves{Target: "idle", Exit: []string{"exit_scanning", "exit_normal", "exit_active"}},
			wantRegions: []engine.RegionResult{{Region: "trading", SourceState: "scanning", TargetState: "idle", Transition: 11}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Process(tc.state, tc.trigger, nil)
			checkMoves(t, res, tc.want)
			if !reflect.DeepEqual(res.RegionResults, tc.wantRegions) {
				t.Errorf("region_results = %+v\nwant %+v", res.RegionResults, tc.wantRegions)
			}
		})
	}

	t.Run("entering arms the timers of the region states entered", func(t *testing.T) {
		res := m.Process("idle", "start", nil)
		want := []engine.Timer{{Trigger: "_timeout", AfterMs: 30000, Kind: engine.TimerTimeout, State: "scanning"}}
		if !reflect.DeepEqual(res.Timers, want) {
			t.Errorf("timers = %+v, want %+v", res.Timers, want)
		}
	})

	t.Run("failures", func(t *testing.T) {
		tests := []struct {
			name        string
			state       string
			trigger     string
			wantCode    string
			wantMessage string // part of the message
		}{
			{name: "unknown trigger", state: start, trigger: "bogus", wantCode: engine.ErrCodeUndefinedTrigger},
			{name: "no region handles it", state: start, trigger: "send", wantCode: engine.ErrCodeInvalidTransition},
			{name: "plain name of a region state", state: "scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState,
				wantMessage: `pass the whole configuration, such as "active:risk=normal,trading=scanning"`},
			{name: "plain name of a nested region state", state: "sending", trigger: "tick", wantCode: engine.ErrCodeUndefinedState,
				wantMessage: `"active:risk=normal,trading=sending"`},
			{name: "unknown parallel state", state: "busy:risk=normal,trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "not a parallel state", state: "idle:risk=normal,trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a region missing", state: "active:trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState, wantMessage: `missing the region "risk"`},
			{name: "an unknown region", state: "active:risk=normal,trading=scanning,extra=x", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a region twice", state: "active:risk=normal,risk=elevated,trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a leaf outside its region", state: "active:risk=scanning,trading=normal", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "an unknown leaf", state: "active:risk=normal,trading=ghost", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a wrong separator", state: "active:risk=normal;trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "no regions at all", state: "active:", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a state outside the parallel state", state: "active:risk=normal,trading=idle", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res := m.Process(tc.state, tc.trigger, nil)
				if res.Success || res.Error.Code != tc.wantCode {
					t.Fatalf("result = %v %v, want %s", res.Success, res.Err(), tc.wantCode)
				}
				if tc.wantCode == engine.ErrCodeUndefinedState && res.Error.Type != "UndefinedStateError" {
					t.Errorf("type = %q", res.Error.Type)
				}
				if !strings.Contains(res.Error.Message, tc.wantMessage) {
					t.Errorf("message = %q, want it to contain %q", res.Error.Message, tc.wantMessage)
				}
			})
		}
	})
}

// TestTimers checks SPEC 3.8: a transition's timers are those of every state
// it enters, in order; `after` transitions get a synthetic trigger.
func TestTimers(t *testing.T) {
	m := loadTestdata(t, "timers.yaml")
	timeout := func(ms int64, state string) engine.Timer {
		return engine.Timer{Trigger: "_timeout", AfterMs: ms, Kind: engine.TimerTimeout, State: state}
	}
	after := func(trigger string, ms int64, state string) engine.Timer {
		return engine.Timer{Trigger: trigger, AfterMs: ms, Kind: engine.TimerAfter, State: state}
	}
	tests := []struct {
		name       string
		state      string
		trigger    string
		wantTarget string
		wantTimers []engine.Timer
	}{
		{name: "the timers of every entered state, outermost first", state: "idle", trigger: "go", wantTarget: "warming",
			wantTimers: []engine.Timer{timeout(60000, "busy"), timeout(1500, "warming")}},
		{name: "a child's own timeout is more specific than its parent's", state: "warming", trigger: "_timeout", wantTarget: "running",
			wantTimers: []engine.Timer{after("_after_running_500_ms", 500, "running"), after("poll", 120000, "running")}},
		{name: "the parent's timeout applies to another child", state: "running", trigger: "_timeout", wantTarget: "idle",
			wantTimers: []engine.Timer{}},
		{name: "a delayed transition fires on its synthetic trigger", state: "running", trigger: "_after_running_500_ms", wantTarget: "cooling",
			wantTimers: []engine.Timer{after("_after_cooling_3600000_ms", 3600000, "cooling")}},
		// Decided: a self-transition enters nothing (pystator's local
		// semantics), yet it restarts the state's own timers, so that an
		// `after` self-loop polls periodically and an event on a state
		// resets its timeout (a watchdog).
		{name: "a self-transition restarts the state's own timers", state: "running", trigger: "poll", wantTarget: "running",
			wantTimers: []engine.Timer{after("_after_running_500_ms", 500, "running"), after("poll", 120000, "running")}},
		{name: "a transition from a compound state enters no timers of its own", state: "running", trigger: "cool", wantTarget: "cooling",
			wantTimers: []engine.Timer{after("_after_cooling_3600000_ms", 3600000, "cooling")}},
		{name: "a state without timers", state: "cooling", trigger: "shutdown", wantTarget: "off", wantTimers: []engine.Timer{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Process(tc.state, tc.trigger, nil)
			if res.TargetState != tc.wantTarget {
				t.Fatalf("target = %q (%v), want %q", res.TargetState, res.Err(), tc.wantTarget)
			}
			if got := append([]engine.Timer{}, res.Timers...); !reflect.DeepEqual(got, tc.wantTimers) {
				t.Errorf("timers = %+v\nwant %+v", got, tc.wantTimers)
			}
		})
	}
	t.Run("the machine's initial timers", func(t *testing.T) {
		got := loadTestdata(t, "hierarchy.yaml").InitialTimers()
		if len(got) != 0 {
			t.Errorf("hierarchy: %v, want none", got)
		}
		order := mustLoad(t, orderYAML)
		if got, want := order.InitialTimers(), []engine.Timer{timeout(5000, "pending_new")}; !reflect.DeepEqual(got, want) {
			t.Errorf("order: %v, want %v", got, want)
		}
	})
	t.Run("synthetic triggers are not user triggers", func(t *testing.T) {
		if got, want := m.Triggers(), []string{"cool", "go", "poll", "shutdown"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Triggers() = %v, want %v", got, want)
		}
	})
}

// TestConcurrentProcess uses one machine from many goroutines (run with
// -race) and checks that every answer equals the one computed alone.
func TestConcurrentProcess(t *testing.T) {
	order := mustLoad(t, orderYAML)
	desk := loadTestdata(t, "parallel.yaml")
	nested := loadTestdata(t, "hierarchy.yaml")
	type call struct {
		m       *engine.Machine
		state   string
		trigger string
		ctx     engine.Context
		payload engine.Payload
	}
	calls := []call{
		{m: order, state: "open", trigger: "execution_report", ctx: engine.Context{"fill_qty": 100, "order_qty": 100}},
		{m: order, state: "open", trigger: "execution_report", ctx: engine.Context{"order_qty": 100}, payload: engine.Payload{"fill_qty": 40}},
		{m: order, state: "open", trigger: "execution_report", ctx: engine.Context{"fill_qty": 0, "order_qty": 100}},
		{m: order, state: "open", trigger: "cancel_request", ctx: engine.Context{}},
		{m: order, state: "filled", trigger: "cancel_request"},
		{m: order, state: "nowhere", trigger: "exchange_ack"},
		{m: desk, state: "active:risk=normal,trading=scanning", trigger: "tick"},
		{m: desk, state: "active:risk=normal,trading=scanning", trigger: "alarm"},
		{m: desk, state: "active:risk=normal,trading=bogus", trigger: "tick"},
		{m: nested, state: "scanning", trigger: "finish"},
		{m: nested, state: "analyzing", trigger: "escalate"},
	}
	want := make([]string, len(calls))
	for i, c := range calls {
		raw, err := json.Marshal(c.m.ProcessWith(c.state, c.trigger, c.ctx, engine.ProcessOptions{Payload: c.payload}))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(raw)
	}
	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				i := (w + r) % len(calls)
				c := calls[i]
				raw, _ := json.Marshal(c.m.ProcessWith(c.state, c.trigger, c.ctx, engine.ProcessOptions{Payload: c.payload}))
				if string(raw) != want[i] {
					errs <- fmt.Sprintf("call %d:\n got %s\nwant %s", i, raw, want[i])
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestHasTimers(t *testing.T) {
	m, _, err := engine.Load([]byte(`
meta: {machine_name: timers}
states:
  - {name: idle, type: initial}
  - {name: busy, initial_child: step, timeout: {seconds: 5, destination: idle}}
  - {name: step, parent: busy}
  - {name: poll, after_note: x}
  - name: par
    type: parallel
    regions:
      - {name: r1, initial: a, states: [a]}
      - {name: r2, initial: b, states: [b]}
  - {name: a, parent: par}
  - {name: b, parent: par}
transitions:
  - {trigger: go, source: idle, dest: busy}
  - {source: poll, dest: idle, after: 100}
  - {trigger: p, source: idle, dest: poll}
  - {trigger: q, source: idle, dest: par}
  - {trigger: back, source: [a, b, par], dest: idle}
  - {source: b, dest: b, trigger: tick, after: "1s"}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		state string
		want  bool
	}{
		{"idle", false},
		{"step", true}, // its parent's timeout
		{"busy", true},
		{"poll", true}, // a delayed transition
		{"par:r1=a,r2=b", true},
		{"nope", true}, // unknown: the safe answer
	}
	for _, tc := range tests {
		if got := m.HasTimers(tc.state); got != tc.want {
			t.Errorf("HasTimers(%q) = %v, want %v", tc.state, got, tc.want)
		}
	}
}
