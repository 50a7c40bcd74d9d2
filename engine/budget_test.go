package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
)

// concatGuard is issue 11's attack: len(s+s+...+s) < 0 with terms copies of
// s, which builds ever longer strings (20 KB × 495²/2 ≈ 2.4 GB per evaluation
// before the budget).
func concatGuard(terms int) string {
	return "len(" + strings.TrimSuffix(strings.Repeat("s+", terms), "+") + ") < 0"
}

// aliasedMachine has n transitions a --go--> b, each an alias of the first,
// whose one guard is the expression expr.
func aliasedMachine(t testing.TB, n int, expr string) *engine.Machine {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "meta: {machine_name: aliased}\nguards:\n  g: %q\nstates:\n  - {name: a, type: initial}\n  - {name: b}\n", expr)
	b.WriteString("transitions:\n  - &t {trigger: go, source: a, dest: b, guards: [g]}\n")
	for i := 1; i < n; i++ {
		b.WriteString("  - *t\n")
	}
	m, problems, err := engine.Load([]byte(b.String()))
	if err != nil {
		t.Fatalf("load: %v", problems)
	}
	return m
}

// resultSize is the length of a result's JSON, as an API answer carries it.
func resultSize(t testing.TB, res engine.Result) int {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// TestGuardBudgetAttacks performs each attack shape of issue 11 through
// Process and asserts the bounded outcome: the code, the reason in the trace
// and the size of the answer. None of them may take long: the budget stops
// them, whatever the clock.
func TestGuardBudgetAttacks(t *testing.T) {
	s20k := strings.Repeat("x", 20_000)
	tests := []struct {
		name        string
		transitions int
		expr        string
		ctx         engine.Context
		wantCode    string
		wantReason  string // of the first candidate's guard
		wantTraced  int
		maxSize     int // bytes of the marshalled result
	}{
		{name: "string concatenation chain", transitions: 1, expr: concatGuard(495), ctx: engine.Context{"s": s20k},
			wantCode: engine.ErrCodeGuardRejected, wantReason: "evaluation budget exceeded", wantTraced: 1, maxSize: 4 << 10},
		{name: "string doubling with let", transitions: 1, ctx: engine.Context{"s": s20k},
			expr:     "let a = s + s; let b = a + a; let c = b + b; let d = c + c; let e = d + d; let f = e + e; let g = f + f; let h = g + g; len(h + h) > 0",
			wantCode: engine.ErrCodeGuardRejected, wantReason: "evaluation budget exceeded", wantTraced: 1, maxSize: 4 << 10},
		{name: "list building", transitions: 1, expr: "len([1..n, 1..n, 1..n]) > 0", ctx: engine.Context{"n": 300_000},
			wantCode: engine.ErrCodeGuardRejected, wantReason: "evaluation budget exceeded", wantTraced: 1, maxSize: 4 << 10},
		{name: "nested map building", transitions: 1, expr: "len({'a': {'b': 1..n, 'c': {'d': 1..n}}}) > 0", ctx: engine.Context{"n": 300_000},
			wantCode: engine.ErrCodeGuardRejected, wantReason: "evaluation budget exceeded", wantTraced: 1, maxSize: 4 << 10},
		{name: "operations: a long loop", transitions: 1, expr: "sum(1..n) > 0", ctx: engine.Context{"n": 400_000},
			wantCode: engine.ErrCodeGuardRejected, wantReason: "evaluation budget exceeded", wantTraced: 1, maxSize: 4 << 10},
		{name: "many aliased transitions", transitions: 400, expr: concatGuard(495), ctx: engine.Context{"s": s20k},
			wantCode: engine.ErrCodeGuardBudgetExceeded, wantReason: "evaluation budget exceeded", wantTraced: 4, maxSize: 16 << 10},
		{name: "many aliased transitions, each cheap", transitions: 5000, expr: "s == nil", ctx: engine.Context{"s": s20k},
			wantCode: engine.ErrCodeGuardRejected, wantTraced: engine.MaxTracedCandidates, maxSize: 64 << 10},
		{name: "many aliased transitions, each scanning a long string", transitions: 5000, expr: "len(s) < 0", ctx: engine.Context{"s": s20k},
			wantCode: engine.ErrCodeGuardBudgetExceeded, wantTraced: engine.MaxTracedCandidates, maxSize: 64 << 10},
		{name: "many aliased transitions, each a long loop", transitions: 400, expr: "sum(1..n) < 0", ctx: engine.Context{"n": 60_000},
			wantCode: engine.ErrCodeGuardBudgetExceeded, wantTraced: 9, maxSize: 8 << 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := aliasedMachine(t, tc.transitions, tc.expr)
			res := m.Process("a", "go", tc.ctx)
			if res.Success || res.Error == nil || res.Error.Code != tc.wantCode {
				t.Fatalf("success = %v, error = %+v; want code %s", res.Success, res.Error, tc.wantCode)
			}
			trace := res.GuardTrace()
			if len(trace) != tc.wantTraced {
				t.Fatalf("%d candidates traced, want %d", len(trace), tc.wantTraced)
			}
			if got := trace[0].Guards[0].Error; got != tc.wantReason {
				t.Errorf("reason = %q, want %q", got, tc.wantReason)
			}
			if got, want := res.Metadata.GuardTraceSkipped, 0; tc.transitions > engine.MaxTracedCandidates && tc.wantCode == engine.ErrCodeGuardRejected {
				if want = tc.transitions - engine.MaxTracedCandidates; got != want {
					t.Errorf("guard_trace_skipped = %d, want %d", got, want)
				}
			}
			if got := resultSize(t, res); got > tc.maxSize {
				t.Errorf("the answer is %d bytes, want at most %d", got, tc.maxSize)
			}
		})
	}
}

// TestGuardBudgetTwentyThousandTransitions is issue 11's request: 20,000
// aliased transitions carrying the 495-term concatenation and a 20 KB
// context value. It used not to answer within 100 s; the call's budget now
// stops it after a few candidates.
func TestGuardBudgetTwentyThousandTransitions(t *testing.T) {
	m := aliasedMachine(t, 20_000, concatGuard(495))
	res := m.Process("a", "go", engine.Context{"s": strings.Repeat("x", 20_000)})
	if res.Error == nil || res.Error.Code != engine.ErrCodeGuardBudgetExceeded {
		t.Fatalf("error = %+v, want %s", res.Error, engine.ErrCodeGuardBudgetExceeded)
	}
	if !errors.Is(res.Err(), engine.ErrGuardBudgetExceeded) || res.Error.Type != "GuardBudgetExceededError" || res.Metadata.Reason != "guard_budget_exceeded" {
		t.Errorf("error = %+v, metadata = %+v", res.Error, res.Metadata)
	}
	var out map[string]any
	if err := json.Unmarshal(mustJSON(t, res), &out); err != nil {
		t.Fatal(err)
	}
	if out["target_state"] != nil || out["success"] != false || len(out["actions_to_execute"].([]any)) != 0 {
		t.Errorf("a budget failure must take no transition: %v", out)
	}
	if size := resultSize(t, res); size > 16<<10 {
		t.Errorf("the answer is %d bytes", size)
	}
}

// TestGuardBudgetFromOptions: the budget is configurable per call; normal
// guards pass within the default one, and a tight budget fails them.
func TestGuardBudgetFromOptions(t *testing.T) {
	ctx := engine.Context{"fill_qty": 100.0, "order_qty": 100.0, "tags": []any{"a", "b"}, "name": "ada"}
	tests := []struct {
		name     string
		expr     string
		budget   engine.GuardBudget
		wantCode string // "" for success
	}{
		{name: "default budget", expr: "fill_qty >= order_qty and 'b' in tags and name + '!' == 'ada!'"},
		{name: "zero means default", expr: "fill_qty >= order_qty", budget: engine.GuardBudget{}},
		{name: "evaluation operations", expr: "fill_qty >= order_qty and 'b' in tags", budget: engine.GuardBudget{EvalOps: 3},
			wantCode: engine.ErrCodeGuardRejected},
		{name: "evaluation memory", expr: "name + '!' == 'ada!'", budget: engine.GuardBudget{EvalMemory: 3},
			wantCode: engine.ErrCodeGuardRejected},
		{name: "total operations", expr: "fill_qty >= order_qty and 'b' in tags", budget: engine.GuardBudget{TotalOps: 3},
			wantCode: engine.ErrCodeGuardBudgetExceeded},
		{name: "total memory", expr: "name + '!' == 'ada!'", budget: engine.GuardBudget{TotalMemory: 3},
			wantCode: engine.ErrCodeGuardBudgetExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := aliasedMachine(t, 1, tc.expr)
			res := m.ProcessWith("a", "go", ctx, engine.ProcessOptions{Budget: tc.budget})
			var got string
			if res.Error != nil {
				got = res.Error.Code
			}
			if got != tc.wantCode {
				t.Fatalf("code = %q, want %q (%v)", got, tc.wantCode, res.Err())
			}
			if tc.wantCode != "" {
				if reason := res.GuardTrace()[0].Guards[0].Error; reason != "evaluation budget exceeded" {
					t.Errorf("reason = %q", reason)
				}
			}
		})
	}
}

// TestGuardTraceValuesCut: each value in guard_trace is cut to 256
// characters and marked; a list or an object by its JSON text.
func TestGuardTraceValuesCut(t *testing.T) {
	long := make([]any, 1000)
	for i := range long {
		long[i] = i
	}
	longJSON := string(mustJSON(t, long))
	obj := map[string]any{}
	for i := range 100 {
		obj[fmt.Sprintf("key%03d", i)] = strings.Repeat("v", 10)
	}
	objJSON := string(mustJSON(t, obj))
	tests := []struct {
		name  string
		value any
		want  any
	}{
		{name: "long string", value: strings.Repeat("x", 20_000), want: strings.Repeat("x", 256) + "…(cut, 20000 chars)"},
		{name: "characters, not bytes", value: strings.Repeat("é", 300), want: strings.Repeat("é", 256) + "…(cut, 300 chars)"},
		{name: "256 characters are kept", value: strings.Repeat("é", 256), want: strings.Repeat("é", 256)},
		{name: "long list", value: long, want: longJSON[:256] + fmt.Sprintf("…(cut, %d chars)", len(longJSON))},
		{name: "long object", value: obj, want: objJSON[:256] + fmt.Sprintf("…(cut, %d chars)", len(objJSON))},
		{name: "short list", value: []any{1, "two", 3.5}, want: []any{1, "two", 3.5}},
		{name: "short object", value: map[string]any{"a": 1}, want: map[string]any{"a": 1}},
		{name: "number", value: 12.5, want: 12.5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := aliasedMachine(t, 1, "v == 0")
			res := m.Process("a", "go", engine.Context{"v": tc.value})
			got, _ := res.GuardTrace()[0].Guards[0].Values.Get("v")
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("value = %.300q…, want %.300q…", fmt.Sprint(got), fmt.Sprint(tc.want))
			}
		})
	}
}

// TestGuardTraceBounded is issue 11's second attack: an 800 KB context
// string read by the guards of 400 aliased transitions made a 320 MB answer.
// Now at most 64 candidates are traced, each value cut.
func TestGuardTraceBounded(t *testing.T) {
	m := aliasedMachine(t, 400, "s == nil")
	res := m.Process("a", "go", engine.Context{"s": strings.Repeat("x", 800_000)})
	if res.Error == nil || res.Error.Code != engine.ErrCodeGuardRejected {
		t.Fatalf("error = %+v, want guard_rejected", res.Error)
	}
	trace := res.GuardTrace()
	if len(trace) != engine.MaxTracedCandidates || res.Metadata.GuardTraceSkipped != 400-engine.MaxTracedCandidates {
		t.Errorf("%d traced, %d skipped; want %d and %d", len(trace), res.Metadata.GuardTraceSkipped, engine.MaxTracedCandidates, 400-engine.MaxTracedCandidates)
	}
	b := mustJSON(t, res)
	if len(b) > 64<<10 {
		t.Errorf("the answer is %d bytes, want at most 64 KiB", len(b))
	}
	var back engine.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Metadata.GuardTraceSkipped != 336 || !strings.Contains(string(b), `"guard_trace_skipped":336`) {
		t.Errorf("guard_trace_skipped does not round-trip: %d", back.Metadata.GuardTraceSkipped)
	}
}

// TestGuardTraceChecksBounded: a transition with more guard checks or more
// operand values than one trace holds is left out of the trace (and
// counted), whatever it decided.
func TestGuardTraceChecksBounded(t *testing.T) {
	var keys []string
	ctx := engine.Context{}
	for i := range 30 {
		keys = append(keys, fmt.Sprintf("k%d", i))
		ctx[keys[i]] = i
	}
	tests := []struct {
		name       string
		guard      string
		guards     int
		wantTraced int
	}{
		{name: "1024 guard checks fit", guard: "k1 > 0", guards: 1024, wantTraced: 1},
		{name: "1025 guard checks do not", guard: "k1 > 0", guards: 1025},
		{name: "1020 operand values fit", guard: strings.Join(keys, " + ") + " > 0", guards: 34, wantTraced: 1},
		{name: "1050 operand values do not", guard: strings.Join(keys, " + ") + " > 0", guards: 35},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names := strings.TrimSuffix(strings.Repeat("g, ", tc.guards), ", ")
			text := fmt.Sprintf("meta: {machine_name: many}\nguards: {g: %q}\nstates:\n  - {name: a, type: initial}\n  - {name: b}\n", tc.guard) +
				"transitions:\n  - {trigger: go, source: a, dest: b, guards: [" + names + "]}\n"
			m, problems, err := engine.Load([]byte(text))
			if err != nil {
				t.Fatalf("load: %v", problems)
			}
			res := m.Process("a", "go", ctx)
			if !res.Success || res.TargetState != "b" {
				t.Fatalf("result %v %v, want b", res.TargetState, res.Err())
			}
			if got, skipped := len(res.GuardTrace()), res.Metadata.GuardTraceSkipped; got != tc.wantTraced || got+skipped != 1 {
				t.Errorf("%d traced, %d skipped; want %d traced of 1", got, skipped, tc.wantTraced)
			}
		})
	}
}

// TestProcessCancelled: once Done is closed, the call stops before the next
// guard and fails with the code cancelled, never with a partial success.
func TestProcessCancelled(t *testing.T) {
	text := `
meta: {machine_name: hangup}
states:
  - {name: a, type: initial}
  - {name: b}
  - {name: c}
transitions:
  - {trigger: go, source: a, dest: b, guards: [first]}
  - {trigger: go, source: a, dest: c, guards: [{expr: "x > 0"}]}
`
	tests := []struct {
		name        string
		first       func(done chan struct{}) engine.GuardFunc
		closeBefore bool
	}{
		{name: "closed before the call", closeBefore: true,
			first: func(chan struct{}) engine.GuardFunc { return func(engine.Context) bool { return true } }},
		{name: "closed between candidates",
			first: func(done chan struct{}) engine.GuardFunc {
				return func(engine.Context) bool { close(done); return false }
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			reg := engine.NewGuardRegistry().MustRegister("first", tc.first(done))
			m, problems, err := engine.Load([]byte(text), engine.WithGuards(reg))
			if err != nil {
				t.Fatalf("load: %v", problems)
			}
			if tc.closeBefore {
				close(done)
			}
			res := m.ProcessWith("a", "go", engine.Context{"x": 1}, engine.ProcessOptions{Done: done})
			if res.Success || res.Error == nil || res.Error.Code != engine.ErrCodeCancelled || res.TargetState != "" {
				t.Fatalf("success = %v, target = %q, error = %+v; want cancelled", res.Success, res.TargetState, res.Error)
			}
			if !errors.Is(res.Err(), engine.ErrCancelled) || res.Error.Type != "CancelledError" {
				t.Errorf("error = %+v", res.Error)
			}
		})
	}
}

// TestProcessCancelledBetweenGuards: a candidate whose first guard passed is
// not taken when the caller leaves before its second guard.
func TestProcessCancelledBetweenGuards(t *testing.T) {
	done := make(chan struct{})
	reg := engine.NewGuardRegistry().MustRegister("hangup", func(engine.Context) bool { close(done); return true })
	text := "meta: {machine_name: m}\nstates:\n  - {name: a, type: initial}\n  - {name: b}\n" +
		"transitions:\n  - {trigger: go, source: a, dest: b, guards: [hangup, {expr: \"x > 0\"}]}\n"
	m, problems, err := engine.Load([]byte(text), engine.WithGuards(reg))
	if err != nil {
		t.Fatalf("load: %v", problems)
	}
	res := m.ProcessWith("a", "go", engine.Context{"x": 1}, engine.ProcessOptions{Done: done})
	if res.Success || res.Error == nil || res.Error.Code != engine.ErrCodeCancelled {
		t.Fatalf("success = %v, error = %+v; want cancelled", res.Success, res.Error)
	}
	trace := res.GuardTrace()
	if len(trace) != 1 || len(trace[0].Guards) != 2 || trace[0].Guards[1].Passed || !strings.Contains(trace[0].Guards[1].Error, "cancelled") {
		t.Errorf("trace = %+v, want the second guard marked cancelled", trace)
	}
}

// TestParallelStopsWhole: in a parallel state, a region that would move does
// not move when another region's guard spends the call's budget or the
// caller leaves.
func TestParallelStopsWhole(t *testing.T) {
	text := `
meta: {machine_name: desk}
states:
  - {name: idle, type: initial}
  - name: active
    type: parallel
    regions:
      - {name: trading, initial: scanning, states: [scanning, analyzing]}
      - {name: risk, initial: normal, states: [normal, elevated]}
  - {name: scanning, parent: active}
  - {name: analyzing, parent: active}
  - {name: normal, parent: active}
  - {name: elevated, parent: active}
transitions:
  - {trigger: tick, source: scanning, dest: analyzing, guards: [{expr: "x > 0"}]}
  - {trigger: tick, source: normal, dest: elevated, guards: [{expr: "sum(1..n) > 0"}]}
`
	m, problems, err := engine.Load([]byte(text))
	if err != nil {
		t.Fatalf("load: %v", problems)
	}
	state := "active:risk=normal,trading=scanning"
	ctx := engine.Context{"x": 1, "n": 1000}
	if res := m.Process(state, "tick", ctx); !res.Success || len(res.RegionResults) != 2 {
		t.Fatalf("within the budget both regions move: %v %v", res.TargetState, res.Err())
	}
	res := m.ProcessWith(state, "tick", ctx, engine.ProcessOptions{Budget: engine.GuardBudget{TotalOps: 500}})
	if res.Success || res.Error.Code != engine.ErrCodeGuardBudgetExceeded || len(res.RegionResults) != 0 || res.TargetState != "" {
		t.Errorf("success = %v, target = %q, regions = %v, error = %+v; want guard_budget_exceeded and nothing moved",
			res.Success, res.TargetState, res.RegionResults, res.Error)
	}
}
