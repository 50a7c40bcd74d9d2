package engine

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// ProcessEvent describes one process call, for hooks.
type ProcessEvent struct {
	Machine string
	State   string
	Trigger string
	Context Context
	Payload Context
}

// Hook is called around each process call made through an Observer.
type Hook interface {
	BeforeProcess(ev ProcessEvent)
	AfterProcess(ev ProcessEvent, res *Result, took time.Duration)
}

// Observer runs process calls with hooks around them, timing each with its clock.
type Observer struct {
	clock Clock
	hooks []Hook
}

// NewObserver returns an observer timing calls with clock (for example
// engine.ClockFunc(time.Now)).
func NewObserver(clock Clock, hooks ...Hook) *Observer {
	return &Observer{clock: clock, hooks: hooks}
}

// Process is Machine.ProcessWith with the hooks called before and after.
func (o *Observer) Process(m *Machine, state, trigger string, ctx Context, opts ProcessOptions) Result {
	ev := ProcessEvent{Machine: m.Name(), State: state, Trigger: trigger, Context: ctx, Payload: opts.Payload}
	for _, h := range o.hooks {
		h.BeforeProcess(ev)
	}
	start := o.clock.Now()
	res := m.ProcessWith(state, trigger, ctx, opts)
	took := o.clock.Now().Sub(start)
	for _, h := range o.hooks {
		h.AfterProcess(ev, &res, took)
	}
	return res
}

// Metrics collects process outcomes: success rate, counts per trigger and per
// error code, and duration average and 95th percentile over the most recent
// calls. It is a Hook and safe for concurrent use.
type Metrics struct {
	mu        sync.Mutex
	total     int64
	succeeded int64
	byTrigger map[string]int64
	byError   map[string]int64
	sum       time.Duration
	samples   []time.Duration // ring buffer of recent durations
	next      int
	window    int
}

// NewMetrics returns a collector keeping the last window durations for the
// percentile (10,000 when window <= 0).
func NewMetrics(window int) *Metrics {
	if window <= 0 {
		window = 10000
	}
	return &Metrics{byTrigger: map[string]int64{}, byError: map[string]int64{}, window: window}
}

// BeforeProcess does nothing; Metrics only needs the outcome.
func (mc *Metrics) BeforeProcess(ProcessEvent) {}

// AfterProcess records one outcome.
func (mc *Metrics) AfterProcess(ev ProcessEvent, res *Result, took time.Duration) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.total++
	if res.Success {
		mc.succeeded++
	} else if res.Error != nil {
		mc.byError[res.Error.Code]++
	}
	mc.byTrigger[ev.Trigger]++
	mc.sum += took
	if len(mc.samples) < mc.window {
		mc.samples = append(mc.samples, took)
	} else {
		mc.samples[mc.next] = took
		mc.next = (mc.next + 1) % mc.window
	}
}

// MetricsSummary is a snapshot of the collected metrics.
type MetricsSummary struct {
	Total       int64            `json:"total"`
	Succeeded   int64            `json:"succeeded"`
	Failed      int64            `json:"failed"`
	SuccessRate float64          `json:"success_rate"`
	ByTrigger   map[string]int64 `json:"by_trigger"`
	ByErrorCode map[string]int64 `json:"by_error_code"`
	Duration    DurationSummary  `json:"duration"`
}

// DurationSummary gives process durations in milliseconds.
type DurationSummary struct {
	AvgMs float64 `json:"avg_ms"`
	P95Ms float64 `json:"p95_ms"`
}

// Summary returns the metrics collected so far.
func (mc *Metrics) Summary() MetricsSummary {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	s := MetricsSummary{Total: mc.total, Succeeded: mc.succeeded, Failed: mc.total - mc.succeeded,
		ByTrigger: map[string]int64{}, ByErrorCode: map[string]int64{}}
	for k, v := range mc.byTrigger {
		s.ByTrigger[k] = v
	}
	for k, v := range mc.byError {
		s.ByErrorCode[k] = v
	}
	if mc.total > 0 {
		s.SuccessRate = float64(mc.succeeded) / float64(mc.total)
		s.Duration.AvgMs = float64(mc.sum) / float64(mc.total) / float64(time.Millisecond)
	}
	if n := len(mc.samples); n > 0 {
		sorted := append([]time.Duration(nil), mc.samples...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
		k := (n*95 + 99) / 100
		if k < 1 {
			k = 1
		}
		s.Duration.P95Ms = float64(sorted[k-1]) / float64(time.Millisecond)
	}
	return s
}

// LogHook logs every processed event with log/slog: successes at debug level,
// refusals at info level.
type LogHook struct {
	Logger *slog.Logger
}

// BeforeProcess does nothing.
func (LogHook) BeforeProcess(ProcessEvent) {}

// AfterProcess logs the outcome.
func (h LogHook) AfterProcess(ev ProcessEvent, res *Result, took time.Duration) {
	if h.Logger == nil {
		return
	}
	attrs := []slog.Attr{
		slog.String("machine", ev.Machine), slog.String("trigger", ev.Trigger),
		slog.String("from", ev.State), slog.Duration("took", took),
	}
	if res.Success {
		attrs = append(attrs, slog.String("to", res.TargetState))
		h.Logger.LogAttrs(context.Background(), slog.LevelDebug, "transition", attrs...)
		return
	}
	if res.Error != nil {
		attrs = append(attrs, slog.String("code", res.Error.Code), slog.String("error", res.Error.Message))
	}
	h.Logger.LogAttrs(context.Background(), slog.LevelInfo, "event refused", attrs...)
}
