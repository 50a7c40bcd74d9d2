package engine_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
)

// timedMachine has a Go guard that moves the observer's manual clock by the
// event's "ms", so that each process call takes a known time.
func timedMachine(t *testing.T, clock *engine.ManualClock) *engine.Machine {
	t.Helper()
	guards := engine.NewGuardRegistry().MustRegister("slow", func(ctx engine.Context) bool {
		clock.Advance(time.Duration(ctx["ms"].(int)) * time.Millisecond)
		return true
	})
	m, _, err := engine.Load([]byte(`meta: {machine_name: timed}
states:
  - {name: a, type: initial}
  - {name: done, type: terminal}
transitions:
  - {trigger: go, source: a, dest: a, guards: [slow]}
  - {trigger: finish, source: a, dest: done}
`), engine.WithGuards(guards))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMetrics(t *testing.T) {
	clock := engine.NewManualClock(t0)
	m := timedMachine(t, clock)
	metrics := engine.NewMetrics(0)
	obs := engine.NewObserver(clock, metrics)
	for ms := 1; ms <= 20; ms++ {
		obs.Process(m, "a", "go", engine.Context{"ms": ms}, engine.ProcessOptions{})
	}
	for i := 0; i < 3; i++ {
		obs.Process(m, "a", "nope", nil, engine.ProcessOptions{})
	}
	for i := 0; i < 2; i++ {
		obs.Process(m, "done", "go", nil, engine.ProcessOptions{})
	}
	got := metrics.Summary()
	// 25 calls: durations 1..20 ms and five of 0 ms; p95 is the 24th of 25
	want := engine.MetricsSummary{
		Total: 25, Succeeded: 20, Failed: 5, SuccessRate: 0.8,
		ByTrigger:   map[string]int64{"go": 22, "nope": 3},
		ByErrorCode: map[string]int64{"undefined_trigger": 3, "terminal_state": 2},
		Duration:    engine.DurationSummary{AvgMs: 8.4, P95Ms: 19},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("summary:\n got %+v\nwant %+v", got, want)
	}
	raw, _ := json.Marshal(got)
	const wantJSON = `{"total":25,"succeeded":20,"failed":5,"success_rate":0.8,"by_trigger":{"go":22,"nope":3},"by_error_code":{"terminal_state":2,"undefined_trigger":3},"duration":{"avg_ms":8.4,"p95_ms":19}}`
	if string(raw) != wantJSON {
		t.Errorf("JSON = %s\nwant %s", raw, wantJSON)
	}
}

// TestMetricsWindow: the average is over every call, the percentile over the
// most recent window of calls. The calls take 10, 9, ..., 1 ms.
func TestMetricsWindow(t *testing.T) {
	clock := engine.NewManualClock(t0)
	m := timedMachine(t, clock)
	tests := []struct {
		name   string
		window int
		want   engine.DurationSummary
	}{
		{name: "default window keeps every call", window: 0, want: engine.DurationSummary{AvgMs: 5.5, P95Ms: 10}},
		{name: "window of four keeps 4..1 ms", window: 4, want: engine.DurationSummary{AvgMs: 5.5, P95Ms: 4}},
		{name: "window of one keeps the last call", window: 1, want: engine.DurationSummary{AvgMs: 5.5, P95Ms: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			metrics := engine.NewMetrics(tc.window)
			obs := engine.NewObserver(clock, metrics)
			for ms := 10; ms >= 1; ms-- {
				obs.Process(m, "a", "go", engine.Context{"ms": ms}, engine.ProcessOptions{})
			}
			if got := metrics.Summary().Duration; got != tc.want {
				t.Errorf("duration = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMetricsEmpty(t *testing.T) {
	got := engine.NewMetrics(10).Summary()
	want := engine.MetricsSummary{ByTrigger: map[string]int64{}, ByErrorCode: map[string]int64{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// hookLog records the hook calls it sees.
type hookLog struct {
	name  string
	lines *[]string
}

func (h hookLog) BeforeProcess(ev engine.ProcessEvent) {
	*h.lines = append(*h.lines, h.name+" before "+ev.Machine+" "+ev.State+" "+ev.Trigger)
}

func (h hookLog) AfterProcess(ev engine.ProcessEvent, res *engine.Result, took time.Duration) {
	*h.lines = append(*h.lines, h.name+" after "+ev.State+" -> "+res.TargetState+" in "+took.String())
}

func TestObserverHooks(t *testing.T) {
	clock := engine.NewManualClock(t0)
	m := timedMachine(t, clock)
	var lines []string
	obs := engine.NewObserver(clock, hookLog{"first", &lines}, hookLog{"second", &lines})
	res := obs.Process(m, "a", "go", engine.Context{"ms": 3}, engine.ProcessOptions{Payload: engine.Payload{"ms": 7}})
	if !res.Success || res.TargetState != "a" {
		t.Fatalf("result %v %v", res.Success, res.Err())
	}
	want := []string{
		"first before timed a go",
		"second before timed a go",
		"first after a -> a in 7ms",
		"second after a -> a in 7ms",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("hook calls:\n got %q\nwant %q", lines, want)
	}
}

func TestSessionWithObserver(t *testing.T) {
	metrics := engine.NewMetrics(0)
	obs := engine.NewObserver(engine.NewManualClock(t0), metrics)
	s := mustLoad(t, orderYAML).Create(nil, engine.WithObserver(obs))
	s.Send("exchange_ack", nil)
	s.Send("exchange_ack", nil)
	s.Advance(10 * time.Second) // open has no timers: nothing fires
	got := metrics.Summary()
	if got.Total != 2 || got.Succeeded != 1 || !reflect.DeepEqual(got.ByErrorCode, map[string]int64{"invalid_transition": 1}) {
		t.Errorf("summary %+v", got)
	}
}

func TestLogHook(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	clock := engine.NewManualClock(t0)
	m := timedMachine(t, clock)
	obs := engine.NewObserver(clock, engine.LogHook{Logger: logger}, engine.LogHook{})
	obs.Process(m, "a", "go", engine.Context{"ms": 2}, engine.ProcessOptions{})
	obs.Process(m, "done", "go", nil, engine.ProcessOptions{})

	var got []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		got = append(got, v)
	}
	want := []map[string]any{
		{"level": "DEBUG", "msg": "transition", "machine": "timed", "trigger": "go", "from": "a", "took": float64(2 * time.Millisecond), "to": "a"},
		{"level": "INFO", "msg": "event refused", "machine": "timed", "trigger": "go", "from": "done", "took": float64(0),
			"code": "terminal_state", "error": `"done" is a terminal state; it accepts no events`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log:\n got %v\nwant %v", got, want)
	}
}
