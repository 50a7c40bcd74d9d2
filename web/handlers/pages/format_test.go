package pages

import (
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
	"github.com/statorhq/stator/store"
)

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		name string
		d    time.Duration
		want string
	}{
		{name: "zero", d: 0, want: "0 s"},
		{name: "negative", d: -time.Second, want: "0 s"},
		{name: "milliseconds", d: 250 * time.Millisecond, want: "250 ms"},
		{name: "seconds and milliseconds", d: 1500 * time.Millisecond, want: "1 s 500 ms"},
		{name: "seconds", d: 30 * time.Second, want: "30 s"},
		{name: "minute and seconds", d: 90 * time.Second, want: "1 min 30 s"},
		{name: "whole minutes", d: 5 * time.Minute, want: "5 min"},
		{name: "hours and minutes", d: 2*time.Hour + 5*time.Minute + 7*time.Second, want: "2 h 5 min"},
		{name: "an hour and seconds drops the seconds", d: time.Hour + 5*time.Second, want: "1 h"},
		{name: "three days", d: 259200 * time.Second, want: "3 days"},
		{name: "a day and an hour", d: 25 * time.Hour, want: "1 day 1 h"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := humanDuration(tc.d); got != tc.want {
				t.Errorf("humanDuration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

func TestTimerLabel(t *testing.T) {
	tests := []struct {
		name    string
		trigger string
		kind    string
		state   string
		afterMs int64
		want    string
	}{
		{name: "timeout", trigger: engine.TimeoutTrigger, kind: engine.TimerTimeout, state: "pending_new", afterMs: 5000, want: "timeout of pending_new"},
		{name: "synthetic after", trigger: "_after_red_30000_ms", kind: engine.TimerAfter, state: "red", afterMs: 30000, want: "after 30 s in red"},
		{name: "named after", trigger: "tick", kind: engine.TimerAfter, state: "idle", afterMs: 90000, want: "tick (after 1 min 30 s in idle)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := timerLabel(tc.trigger, tc.kind, tc.state, tc.afterMs); got != tc.want {
				t.Errorf("timerLabel = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestTimerViews checks what the simulator and the entity page show of
// pending timers: readable labels and durations, not "_after_red_30000_ms
// (after of red)" or "in 259200s".
func TestTimerViews(t *testing.T) {
	m, _, err := engine.Load([]byte(example(t, "traffic_light")))
	if err != nil {
		t.Fatal(err)
	}
	run, err := sim.Replay(m, sim.NewTrace(), sim.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	v := simulatorView(m, run, sim.Form{}, "")
	if len(v.Timers) != 1 {
		t.Fatalf("traffic_light starts with %d timers, want 1", len(v.Timers))
	}
	if got, want := v.Timers[0].Trigger+" | "+v.Timers[0].Due+" | "+v.Timers[0].In, "after 30 s in red | 00:00:30 | 30 s"; got != want {
		t.Errorf("simulator timer %q, want %q", got, want)
	}

	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name  string
		timer store.Timer
		want  string
	}{
		{name: "three days", timer: store.Timer{Trigger: engine.TimeoutTrigger, Kind: engine.TimerTimeout, State: "in_review", AfterMs: 259200000, DueAt: now.Add(72 * time.Hour)},
			want: "timeout of in_review | 03:04:05 UTC | 3 days"},
		{name: "due", timer: store.Timer{Trigger: "_after_red_30000_ms", Kind: engine.TimerAfter, State: "red", AfterMs: 30000, DueAt: now.Add(-time.Second)},
			want: "after 30 s in red | 03:04:04 UTC | "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := entityTimers([]store.Timer{tc.timer}, now)
			if len(got) != 1 {
				t.Fatalf("%d timers, want 1", len(got))
			}
			if s := got[0].Trigger + " | " + got[0].Due + " | " + got[0].In; s != tc.want {
				t.Errorf("entity timer %q, want %q", s, tc.want)
			}
		})
	}
}
