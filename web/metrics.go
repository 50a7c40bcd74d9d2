package web

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus metrics (SPEC 13), on a registry of
// their own. The store reports events, batches and timers to it (it is a
// store.Metrics); the server adds HTTP requests, pending timers and the
// database pool. Make one with NewMetrics and give it to both.
type Metrics struct {
	reg      *prometheus.Registry
	events   *prometheus.CounterVec
	latency  prometheus.Histogram
	batches  prometheus.Histogram
	fired    prometheus.Counter
	lag      prometheus.Histogram
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics makes the metrics with the Go runtime's and the process's.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stator_events_total", Help: "Entity events processed, by result code (ok for accepted ones).",
		}, []string{"code"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "stator_event_duration_seconds", Help: "Time from an event's arrival at the store to its commit.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5},
		}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "stator_group_commit_batch_size", Help: "Events committed together in one transaction.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		fired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "stator_timers_fired_total", Help: "Timers fired by this instance.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "stator_timer_lag_seconds", Help: "How late after its due time a timer fired.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60},
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stator_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "stator_http_request_duration_seconds", Help: "HTTP request duration by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.events, m.latency, m.batches, m.fired, m.lag, m.requests, m.duration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// EventProcessed counts an event by its result code ("" for success).
func (m *Metrics) EventProcessed(code string, d time.Duration) {
	if code == "" {
		code = "ok"
	}
	m.events.WithLabelValues(code).Inc()
	m.latency.Observe(d.Seconds())
}

// BatchCommitted records the size of a group commit.
func (m *Metrics) BatchCommitted(size int) { m.batches.Observe(float64(size)) }

// TimerFired records a fired timer and how late it fired.
func (m *Metrics) TimerFired(lag time.Duration) {
	m.fired.Inc()
	m.lag.Observe(max(lag, 0).Seconds())
}

// watchPool exports the database pool's use.
func (m *Metrics) watchPool(stats func() sql.DBStats) {
	if stats == nil {
		return
	}
	gauge := func(name, help string, f func(sql.DBStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(stats()) })
	}
	m.reg.MustRegister(
		gauge("stator_db_connections_open", "Open connections to the database.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) }),
		gauge("stator_db_connections_in_use", "Connections in use.", func(s sql.DBStats) float64 { return float64(s.InUse) }),
		gauge("stator_db_connections_idle", "Idle connections.", func(s sql.DBStats) float64 { return float64(s.Idle) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "stator_db_wait_total", Help: "Waits for a free connection."},
			func() float64 { return float64(stats().WaitCount) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "stator_db_wait_seconds_total", Help: "Time spent waiting for a free connection."},
			func() float64 { return stats().WaitDuration.Seconds() }),
	)
}

// watchTimers exports the number of pending timers (asked at each scrape).
func (m *Metrics) watchTimers(pending func(ctx context.Context) (int, error)) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "stator_timers_pending", Help: "Timers waiting to fire (all instances).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := pending(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
}

// middleware counts requests by route (the pattern, never the raw path:
// ids would make unbounded label values) and status.
func (m *Metrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		if err != nil {
			if p, _ := toProblem(err); p.Status != 0 {
				status = p.Status
			}
		}
		method := c.Request().Method
		m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

// handler serves the Prometheus text format.
func (m *Metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
