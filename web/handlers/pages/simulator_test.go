package pages

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine/sim"
)

// The simulator's domain is tested in engine/sim; these tests post the
// form to the handler and read the panel it renders.

// pingPong is two states that hand over to each other every millisecond.
const pingPong = `meta: {machine_name: ping_pong}
states:
  - {name: a, type: initial}
  - {name: b}
transitions:
  - {trigger: tick, source: a, dest: b, after: 1}
  - {trigger: tock, source: b, dest: a, after: 1}
`

// simulate posts the simulator form and returns the panel's HTML.
func simulate(t *testing.T, form url.Values) string {
	t.Helper()
	e := echo.New()
	req := httptest.NewRequest(http.MethodPost, "/workspace/simulate", strings.NewReader(form.Encode()))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
	rec := httptest.NewRecorder()
	if err := Simulate(e.NewContext(req, rec)); err != nil {
		t.Fatalf("simulate: %v", err)
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	return rec.Body.String()
}

func example(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	traceRe = regexp.MustCompile(`id="sim-trace" value="([^"]*)"`)
	stateRe = regexp.MustCompile(`data-testid="sim-state"[^>]*>([^<]*)<`)
)

// panelTrace is the trace the panel holds for the next request.
func panelTrace(t *testing.T, page string) string {
	t.Helper()
	m := traceRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the panel holds no trace")
	}
	return html.UnescapeString(m[1])
}

// TestSimulateRequests: a few requests as the page makes them, each posting
// the trace the previous panel held.
func TestSimulateRequests(t *testing.T) {
	yaml := example(t, "order_management")
	tests := []struct {
		name      string
		form      url.Values
		wantState string
		want      []string // in the panel's HTML
	}{
		{"start", url.Values{}, "pending_new", []string{`data-testid="event-exchange_ack"`, `data-testid="sim-timer"`}},
		{"fill", url.Values{"op": {"fill"}}, "pending_new", []string{`data-testid="ctx-order_qty" value="100"`}},
		{"ack", url.Values{"op": {"event:exchange_ack"}}, "open", []string{"cancelled timeout of pending_new", `data-reason="the payload needs fill_qty"`}},
		{"a fill typed so far is checked", url.Values{"op": {"refresh"}, "payload.execution_report.fill_qty": {"0"}}, "open",
			[]string{html.EscapeString("→ filled: fill_qty >= order_qty: 0 >= 100 is false; → partially_filled: 0 < fill_qty < order_qty: 0 < 0 < 100 is false")}},
		{"a refused operation says why", url.Values{"op": {"advance"}, "seconds": {"-1"}}, "open", []string{"Advance by a number of seconds greater than 0"}},
		{"a broken trace is reset", url.Values{"trace": {"{not json"}}, "pending_new", []string{"The simulation is not valid JSON (at character 2). The simulation was reset."}},
	}
	trace := ""
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"yaml": {yaml}, "trace": {trace}}
			for k, v := range tc.form {
				form[k] = v
			}
			page := simulate(t, form)
			if m := stateRe.FindStringSubmatch(page); m == nil || m[1] != tc.wantState {
				t.Errorf("state %v, want %s", m, tc.wantState)
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) {
					t.Errorf("the panel does not show %q", w)
				}
			}
			trace = panelTrace(t, page)
			var v struct{ Version int }
			if err := json.Unmarshal([]byte(trace), &v); err != nil || v.Version != sim.Version {
				t.Errorf("the panel's trace %s has version %d (%v), want %d", trace, v.Version, err, sim.Version)
			}
		})
	}
}

// TestSimulateOps: every operation the panel posts (buttons, htmx values)
// is one engine/sim knows, and every field name is one it reads.
func TestSimulateOps(t *testing.T) {
	page := html.UnescapeString(simulate(t, url.Values{"yaml": {example(t, "order_management")}, "op": {"event:exchange_ack"}}))
	known := map[sim.Op]bool{}
	for _, op := range sim.Ops() {
		known[op] = true
	}
	var seen []string
	for _, re := range []*regexp.Regexp{regexp.MustCompile(`name="op" value="([^"]+)"`), regexp.MustCompile(`\{"op":"([^"]+)"\}`)} {
		for _, m := range re.FindAllStringSubmatch(page, -1) {
			name, _, _ := strings.Cut(m[1], ":")
			seen = append(seen, name)
			if !known[sim.Op(name)] {
				t.Errorf("the panel posts op %q, which engine/sim does not know", m[1])
			}
		}
	}
	if len(seen) < 8 {
		t.Errorf("found only the ops %q in the panel", seen)
	}
	for _, field := range []string{sim.FieldTrace, sim.FieldSeconds, sim.FieldContextJSON, sim.ContextField("order_qty"),
		sim.PayloadField("execution_report", "fill_qty"), sim.PayloadJSONField("cancel_request")} {
		if !strings.Contains(page, `name="`+field+`"`) {
			t.Errorf("the panel has no field named %q", field)
		}
	}
}

// TestSimulateBoundedReplay is the attack of issue 11: a ping-pong on
// after: 1 and 60 steps of advancing the clock (a 2.5 KB request) made a
// 56 MB panel of 600,000 events, 3.4 GB of memory. Advances past the limit
// (10^12 ms) are refused with the trace; within it (10 years) the replay
// stops at its timer budget. Either way the panel is small and says why.
func TestSimulateBoundedReplay(t *testing.T) {
	tests := []struct {
		name, ms, want string
	}{
		{"10^12 ms, past the advance limit", "1000000000000", "advances the clock by 1000000000000 ms; the limit is 10 years. The simulation was reset."},
		{"10 years, the advance limit", "315360000000", "The simulation stopped after 10,000 timer firings, in step 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			steps := strings.Repeat(`{"kind":"advance","ms":`+tc.ms+`},`, 60)
			trace := `{"context":{},"steps":[` + strings.TrimSuffix(steps, ",") + `],"at":60}`
			page := simulate(t, url.Values{"yaml": {pingPong}, "trace": {trace}, "op": {"refresh"}})
			if got, limit := len(page), 2<<20; got > limit {
				t.Errorf("the panel is %d bytes, want at most %d", got, limit)
			}
			if got := strings.Count(page, `class="step-event`); got > 2000 {
				t.Errorf("the log shows %d events, want at most 2,000", got)
			}
			if !strings.Contains(page, tc.want) {
				t.Errorf("the panel does not say %q", tc.want)
			}
		})
	}
}

// TestSimulateTraceDepth: the simulator form takes the API's depth limit
// (32) for every context and payload in the trace, not only the first one
// (a trace nested 9,000 levels deep in a step was accepted).
func TestSimulateTraceDepth(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000)
	tests := []struct{ name, trace string }{
		{"initial context", `{"context":` + deep + `,"steps":[]}`},
		{"step payload", `{"context":{},"steps":[{"kind":"event","trigger":"tick","payload":` + deep + `}],"at":1}`},
		{"step context", `{"context":{},"steps":[{"kind":"context","context":` + deep + `}],"at":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page := simulate(t, url.Values{"yaml": {pingPong}, "trace": {tc.trace}, "op": {"refresh"}})
			if !strings.Contains(page, "the limit is 32") || !strings.Contains(page, "The simulation was reset.") {
				t.Errorf("a trace nested 9,000 levels deep is not refused with the limit")
			}
		})
	}
}
