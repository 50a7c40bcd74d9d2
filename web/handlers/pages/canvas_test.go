package pages

import (
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"testing"

	"github.com/statorhq/stator/web/templates"
)

// TestAnalyzeModel: the analysis of a valid text carries the machine's
// model for the canvas (hover cards, the inspector, completion), in the
// text's order; an invalid text carries none.
func TestAnalyzeModel(t *testing.T) {
	m := Analyze(example(t, "order_management")).Data.Model
	if m == nil {
		t.Fatal("no model for the order example")
	}
	got := map[string]any{
		"states":   len(m.States),
		"pending":  m.States[0],
		"open":     m.States[1].OnEnter,
		"t4":       m.Transitions[4],
		"triggers": m.Triggers,
		"guards":   m.Guards,
		"actions":  m.Actions[:3],
		"expr":     m.GuardExprs["is_cancellable"],
	}
	want := map[string]any{
		"states":   7,
		"pending":  templates.StateModel{Name: "pending_new", Type: "initial", Description: "Sent, waiting for the exchange", Timeout: "5s → timed_out_ack", OnEnter: []string{}, OnExit: []string{}},
		"open":     []string{"notify_ui_open", "log_audit_trail"},
		"t4":       templates.TransitionModel{Trigger: "cancel_request", Source: []string{"open", "partially_filled"}, Dest: "canceled", Guards: []string{"is_cancellable"}, Actions: []string{"send_cancel_to_exchange"}},
		"triggers": []string{"exchange_ack", "exchange_nack", "execution_report", "cancel_request"},
		"guards":   []string{"is_full_fill", "is_partial_fill", "is_cancellable"},
		"actions":  []string{"notify_ui_open", "log_audit_trail", "update_order_id"},
		"expr":     "not in_flight",
	}
	for k := range want {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s: got %#v, want %#v", k, got[k], want[k])
		}
	}

	tests := []struct {
		name, text string
		compound   []string
	}{
		{"compound and parallel states are marked", `meta: {machine_name: m}
states:
  - {name: a, type: initial}
  - {name: box, initial_child: in}
  - {name: in, parent: box}
  - name: par
    type: parallel
    regions:
      - {name: r1, initial: x, states: [x]}
  - {name: x, parent: par}
transitions:
  - {trigger: go, source: a, dest: box}
  - {source: in, dest: par, after: 2s}
`, []string{"box", "par"}},
		{"an invalid text has no model", "states: []\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := Analyze(tc.text).Data.Model
			if tc.compound == nil {
				if m != nil {
					t.Errorf("a model for an invalid text: %+v", m)
				}
				return
			}
			var got []string
			for _, s := range m.States {
				if s.Compound {
					got = append(got, s.Name)
				}
			}
			if !reflect.DeepEqual(got, tc.compound) {
				t.Errorf("compound states %v, want %v", got, tc.compound)
			}
			if m.Transitions[1].After != "2s" || len(m.Triggers) != 1 || !reflect.DeepEqual(m.Regions, []string{"r1"}) {
				t.Errorf("after %q, triggers %v (no synthetic ones), regions %v", m.Transitions[1].After, m.Triggers, m.Regions)
			}
		})
	}
}

var simDataRe = regexp.MustCompile(`(?s)<script[^>]*id="sim-data"[^>]*>(.*?)</script>`)

// TestSimulatorTransitions: the simulator's data says which transitions of
// the current state would fire (the diagram's data-available) and why the
// others do not, with each evaluated guard's answer.
func TestSimulatorTransitions(t *testing.T) {
	yaml := example(t, "order_management")
	filled := panelTrace(t, simulate(t, url.Values{"yaml": {yaml}, "op": {"fill"}}))
	inOpen := panelTrace(t, simulate(t, url.Values{"yaml": {yaml}, "op": {"event:exchange_ack"}, "trace": {filled}}))
	tests := []struct {
		name string
		form url.Values
		want []templates.SimTransition
	}{
		{"at the start both events are available", url.Values{"trace": {filled}}, []templates.SimTransition{
			{Index: 0, Trigger: "exchange_ack", Available: true},
			{Index: 1, Trigger: "exchange_nack", Available: true},
		}},
		{"in open, a fill of 30 of 100 is partial", url.Values{"op": {"refresh"}, "payload.execution_report.fill_qty": {"30"}, "trace": {inOpen}}, []templates.SimTransition{
			{Index: 2, Trigger: "execution_report", Reason: "its guard is_full_fill is false (execution_report takes another transition)", Guards: []templates.SimGuardAnswer{{Guard: "is_full_fill"}}},
			{Index: 3, Trigger: "execution_report", Available: true, Guards: []templates.SimGuardAnswer{{Guard: "is_partial_fill", Passed: true}}},
			{Index: 4, Trigger: "cancel_request", Available: true, Guards: []templates.SimGuardAnswer{{Guard: "is_cancellable", Passed: true}}},
		}},
		{"in open with no fill, the payload is missing: the button's reason", url.Values{"op": {"refresh"}, "trace": {inOpen}}, []templates.SimTransition{
			{Index: 2, Trigger: "execution_report", Reason: "the payload needs fill_qty", Guards: []templates.SimGuardAnswer{{Guard: "is_full_fill"}}},
			{Index: 3, Trigger: "execution_report", Reason: "the payload needs fill_qty", Guards: []templates.SimGuardAnswer{{Guard: "is_partial_fill"}}},
			{Index: 4, Trigger: "cancel_request", Available: true, Guards: []templates.SimGuardAnswer{{Guard: "is_cancellable", Passed: true}}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"yaml": {yaml}}
			for k, v := range tc.form {
				form[k] = v
			}
			page := simulate(t, form)
			m := simDataRe.FindStringSubmatch(page)
			if m == nil {
				t.Fatal("no sim-data in the panel")
			}
			var d templates.SimulatorData
			if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Transitions, tc.want) {
				t.Errorf("transitions\n got %+v\nwant %+v", d.Transitions, tc.want)
			}
		})
	}
}
