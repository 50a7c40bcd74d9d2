package pages

import (
	"strconv"
	"strings"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// humanDuration says how long d is as people say it: "250 ms", "30 s",
// "1 min 30 s", "2 h 5 min", "3 days". It names the largest unit, and the
// next one down when that is not zero, and drops what is smaller (it is a
// countdown, not an exact figure); less than a millisecond is "0 s".
func humanDuration(d time.Duration) string {
	if d < time.Millisecond {
		return "0 s"
	}
	units := [...]struct {
		d          time.Duration
		one, other string
	}{
		{24 * time.Hour, " day", " days"},
		{time.Hour, " h", " h"},
		{time.Minute, " min", " min"},
		{time.Second, " s", " s"},
		{time.Millisecond, " ms", " ms"},
	}
	var parts []string
	for _, u := range units {
		n := d / u.d
		if n == 0 {
			if len(parts) > 0 {
				break // "1 h 5 s" would hide that minutes were skipped
			}
			continue
		}
		d -= n * u.d
		name := u.other
		if n == 1 {
			name = u.one
		}
		parts = append(parts, strconv.FormatInt(int64(n), 10)+name)
		if len(parts) == 2 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// timerLabel names a timer for people: the engine's synthetic triggers
// (`_timeout`, `_after_red_30000_ms`) become "timeout of red" and "after
// 30 s in red"; a named trigger keeps its name with that explanation.
func timerLabel(trigger, kind, state string, afterMs int64) string {
	var what string
	switch kind {
	case engine.TimerTimeout:
		what = "timeout of " + state
	case engine.TimerAfter:
		what = "after " + humanDuration(time.Duration(afterMs)*time.Millisecond) + " in " + state
	default:
		what = kind + " of " + state
	}
	if engine.IsSyntheticTrigger(trigger) {
		return what
	}
	return trigger + " (" + what + ")"
}

// simTimers are the simulator's pending timers on its virtual clock, now
// being the time since the simulation started.
func simTimers(timers []sim.Timer, now time.Duration) []templates.SimTimer {
	out := make([]templates.SimTimer, 0, len(timers))
	for _, t := range timers {
		out = append(out, templates.SimTimer{
			Trigger: timerLabel(t.Trigger, t.Kind, t.State, t.AfterMs), Kind: t.Kind, State: t.State,
			Due: sim.FormatClock(t.Due), In: humanDuration(t.Due - now),
		})
	}
	return out
}

// entityTimers are a stored entity's pending timers: when each is due
// (wall clock, UTC) and how long until then ("" when it is due now).
func entityTimers(timers []store.Timer, now time.Time) []templates.SimTimer {
	out := make([]templates.SimTimer, 0, len(timers))
	for _, t := range timers {
		in := "" // due now
		if d := t.DueAt.Sub(now); d >= time.Second {
			in = humanDuration(d)
		}
		out = append(out, templates.SimTimer{
			Trigger: timerLabel(t.Trigger, t.Kind, t.State, t.AfterMs), Kind: t.Kind, State: t.State,
			Due: t.DueAt.UTC().Format("15:04:05") + " UTC", In: in,
		})
	}
	return out
}
