package sim_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
)

// TestParseTrace: what the page and the links post, read or refused with a
// sentence; a refused trace gives a new one.
func TestParseTrace(t *testing.T) {
	deep := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	many := `{"steps":[` + strings.TrimSuffix(strings.Repeat(`{"kind":"next_timer"},`, 1001), ",") + `]}`
	tests := []struct {
		name     string
		in       string
		want     sim.Trace // when accepted
		wantKind error
		wantMsg  string
	}{
		{"empty", "", sim.NewTrace(), nil, ""},
		{"null", " null ", sim.NewTrace(), nil, ""},
		{"without a version: version 1 (links made before versions)",
			`{"context":{"n":1},"steps":[{"kind":"event","trigger":"x"}],"at":1}`,
			sim.Trace{Version: 1, Context: engine.Context{"n": 1.0}, Steps: []sim.Step{{Kind: sim.StepEvent, Trigger: "x"}}, At: 1}, nil, ""},
		{"version 1", `{"version":1,"context":{},"guard_values":{"ok":false},"steps":[{"kind":"advance","ms":1500}],"at":0}`,
			sim.Trace{Version: 1, Context: engine.Context{}, GuardValues: map[string]bool{"ok": false}, Steps: []sim.Step{{Kind: sim.StepAdvance, Ms: 1500}}}, nil, ""},
		{"a cursor out of range is put at the end", `{"steps":[{"kind":"next_timer"}],"at":7}`,
			sim.Trace{Version: 1, Steps: []sim.Step{{Kind: sim.StepNextTimer}}, At: 1}, nil, ""},
		{"a negative cursor too", `{"steps":[],"at":-3}`, sim.Trace{Version: 1, Steps: []sim.Step{}}, nil, ""},
		{"a later version", `{"version":2,"steps":[]}`, sim.Trace{}, sim.ErrVersion, "The simulation was made by a newer Stator (trace version 2; this one reads version 1)."},
		{"a negative version", `{"version":-1}`, sim.Trace{}, sim.ErrVersion, "The simulation has no known version (-1)."},
		{"not JSON", `{not json`, sim.Trace{}, sim.ErrTrace, "The simulation is not valid JSON (at character 2)."},
		{"not an object", `[1]`, sim.Trace{}, sim.ErrTrace, "The simulation is not a JSON object."},
		{"a value of the wrong type, said without Go names", `{"steps":[{"kind":"event","ms":"soon"}]}`, sim.Trace{}, sim.ErrTrace, "The simulation's steps.ms has a value of the wrong type."},
		{"a step of no known kind", `{"steps":[{"kind":"teleport"}]}`, sim.Trace{}, sim.ErrTrace, `Step 1 of the simulation is of no known kind ("teleport").`},
		{"too many steps", many, sim.Trace{}, sim.ErrLimit, "The simulation has 1001 steps; the limit is 1000."},
		{"an advance past the limit", `{"steps":[{"kind":"advance","ms":1000000000000}]}`, sim.Trace{}, sim.ErrLimit,
			"Step 1 of the simulation advances the clock by 1000000000000 ms; the limit is 10 years."},
		{"a negative advance", `{"steps":[{"kind":"advance","ms":-5}]}`, sim.Trace{}, sim.ErrLimit,
			"Step 1 of the simulation advances the clock by -5 ms; the limit is 10 years."},
		{"a context at the limit", `{"context":` + deep(32) + `}`, sim.Trace{}, nil, ""},
		{"a context past the limit", `{"context":` + deep(33) + `}`, sim.Trace{}, sim.ErrLimit, "The simulation's context is nested 33 levels deep; the limit is 32."},
		{"a payload past the limit", `{"steps":[{"kind":"event","trigger":"x","payload":` + deep(33) + `}]}`, sim.Trace{}, sim.ErrLimit, "The payload of step 1 is nested 33 levels deep; the limit is 32."},
		{"a step context past the limit", `{"steps":[{"kind":"context","context":` + deep(33) + `}]}`, sim.Trace{}, sim.ErrLimit, "The context of step 1 is nested 33 levels deep; the limit is 32."},
		{"nested 9,000 deep: refused before decoding", `{"steps":[{"kind":"event","payload":` + deep(9000) + `}]}`, sim.Trace{}, sim.ErrLimit,
			"The simulation is nested 9003 levels deep; the limit is 32 for a context or payload."},
		{"brackets in strings do not count", `{"context":{"s":"` + strings.Repeat("[{", 100) + `"}}`, sim.Trace{}, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sim.ParseTrace([]byte(tc.in), sim.Limits{})
			if tc.wantKind != nil {
				if !errors.Is(err, tc.wantKind) || sim.Message(err) != tc.wantMsg {
					t.Errorf("error %v (%q), want %v: %q", err, sim.Message(err), tc.wantKind, tc.wantMsg)
				}
				if !reflect.DeepEqual(got, sim.NewTrace()) {
					t.Errorf("a refused trace gives %+v, want a new trace", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.want.Version != 0 && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestTraceJSON: a trace is written with its version and the field names
// of the links made before versions, and reads back the same.
func TestTraceJSON(t *testing.T) {
	tr := sim.Trace{Version: 1, Context: engine.Context{"n": 1.0}, GuardValues: map[string]bool{"ok": true},
		Steps: []sim.Step{{Kind: sim.StepEvent, Trigger: "go", Payload: engine.Context{"x": "y"}}, {Kind: sim.StepContext, Context: engine.Context{}},
			{Kind: sim.StepAdvance, Ms: 1500}, {Kind: sim.StepNextTimer}}, At: 2}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"context":{"n":1},"guard_values":{"ok":true},"steps":[{"kind":"event","trigger":"go","payload":{"x":"y"}},{"kind":"context"},{"kind":"advance","ms":1500},{"kind":"next_timer"}],"at":2}`
	if string(raw) != want {
		t.Errorf("JSON\n%s\nwant\n%s", raw, want)
	}
	back, err := sim.ParseTrace(raw, sim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tr.Steps[1].Context = nil // an empty context step is written without its context, as before versions
	if !reflect.DeepEqual(back, tr) {
		t.Errorf("read back %+v, want %+v", back, tr)
	}
}

// TestLegacyLink: a share link's trace from before versions replays as it
// did: the state, the clock, the log.
func TestLegacyLink(t *testing.T) {
	m := loadExample(t, "order_management")
	legacy := `{"context":{"order_id":"ORD-001","order_qty":100,"fill_qty":0,"in_flight":false},` +
		`"steps":[{"kind":"event","trigger":"exchange_ack"},{"kind":"event","trigger":"execution_report","payload":{"fill_qty":50}},` +
		`{"kind":"event","trigger":"cancel_request"}],"at":2}`
	tr, err := sim.ParseTrace([]byte(legacy), sim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := sim.Replay(m, tr, sim.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range r.Log {
		got = append(got, fmt.Sprintf("%s %v %v future=%v", e.Label, eventTexts(e.Events), changeTexts(e.Changes), e.Future))
	}
	want := []string{
		"exchange_ack [exchange_ack pending_new→open] [] future=false",
		`execution_report {"fill_qty":50} [execution_report open→partially_filled] [fill_qty: 0 → 50] future=false`,
		"cancel_request [cancel_request partially_filled→canceled] [] future=true",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("log\n%q\nwant\n%q", got, want)
	}
	if r.Cursor.State != "partially_filled" || r.Cursor.Context["fill_qty"] != 50.0 {
		t.Errorf("cursor %+v", r.Cursor)
	}
}
