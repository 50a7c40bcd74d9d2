package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/statorhq/stator/engine"
)

// TestGuardValues checks unbound named guards: guard_not_found in strict mode
// without values, and GuardValues in which missing names count as true.
func TestGuardValues(t *testing.T) {
	const text = `meta: {strict_mode: %s}
states:
  - {name: a, type: initial}
  - {name: b, type: terminal}
  - {name: c, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, guards: [is_ready, is_allowed]}
  - {trigger: go, source: a, dest: c}
`
	strict := mustLoad(t, fmt.Sprintf(text, "true"))
	lenient := mustLoad(t, fmt.Sprintf(text, "false"))
	tests := []struct {
		name       string
		m          *engine.Machine
		values     engine.GuardValues
		wantTarget string
		wantCode   string
		wantGuard  string // metadata.guard_name
		wantChecks []engine.GuardCheck
	}{
		{
			name: "strict without values: guard_not_found", m: strict, values: nil,
			wantCode: engine.ErrCodeGuardNotFound, wantGuard: "is_ready",
		},
		{
			name: "non-strict without values: unbound guards pass", m: lenient, values: nil, wantTarget: "b",
			wantChecks: []engine.GuardCheck{{Guard: "is_ready", Kind: engine.GuardKindUnbound, Passed: true}, {Guard: "is_allowed", Kind: engine.GuardKindUnbound, Passed: true}},
		},
		{
			name: "empty values: every name counts as true", m: strict, values: engine.GuardValues{}, wantTarget: "b",
			wantChecks: []engine.GuardCheck{{Guard: "is_ready", Kind: engine.GuardKindValue, Passed: true}, {Guard: "is_allowed", Kind: engine.GuardKindValue, Passed: true}},
		},
		{
			name: "a false value rejects and the next candidate fires", m: strict, values: engine.GuardValues{"is_allowed": false}, wantTarget: "c",
			wantChecks: []engine.GuardCheck{{Guard: "is_ready", Kind: engine.GuardKindValue, Passed: true}, {Guard: "is_allowed", Kind: engine.GuardKindValue, Passed: false, Error: "the value given for this guard is false"}},
		},
		{
			name: "true values pass", m: strict, values: engine.GuardValues{"is_ready": true, "is_allowed": true}, wantTarget: "b",
			wantChecks: []engine.GuardCheck{{Guard: "is_ready", Kind: engine.GuardKindValue, Passed: true}, {Guard: "is_allowed", Kind: engine.GuardKindValue, Passed: true}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.m.ProcessWith("a", "go", nil, engine.ProcessOptions{GuardValues: tc.values})
			code := ""
			if res.Error != nil {
				code = res.Error.Code
			}
			if res.TargetState != tc.wantTarget || code != tc.wantCode || res.Metadata.GuardName != tc.wantGuard {
				t.Errorf("got %q %q guard %q, want %q %q guard %q", res.TargetState, code, res.Metadata.GuardName, tc.wantTarget, tc.wantCode, tc.wantGuard)
			}
			if tc.wantCode == engine.ErrCodeGuardNotFound && res.Error.GuardName != tc.wantGuard {
				t.Errorf("error.guard_name = %q", res.Error.GuardName)
			}
			if tc.wantChecks != nil {
				if got := res.GuardTrace()[0].Guards; !reflect.DeepEqual(got, tc.wantChecks) {
					t.Errorf("checks = %+v\nwant %+v", got, tc.wantChecks)
				}
			}
		})
	}
	t.Run("unbound guards are warned about", func(t *testing.T) {
		var got []string
		for _, p := range strict.Warnings() {
			got = append(got, p.Code+" "+p.Path)
		}
		// the second transition is not shadowed: the first one has guards
		want := []string{"unbound_guard transitions[0].guards[0]", "unbound_guard transitions[0].guards[1]"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("warnings = %v, want %v", got, want)
		}
	})
}

// TestGoGuards checks guards registered in Go: at load (WithGuards), rebound
// on a loaded machine (Machine.WithGuards), resolved before expressions, and
// a panicking guard failing without crashing.
func TestGoGuards(t *testing.T) {
	const text = `guards:
  is_big: "qty > 1000"
states:
  - {name: a, type: initial}
  - {name: b, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, guards: [is_big, is_approved]}
`
	reg := engine.NewGuardRegistry().
		MustRegister("is_approved", func(ctx engine.Context) bool { return ctx["approver"] != nil }).
		MustRegister("is_big", func(ctx engine.Context) bool { return ctx["qty"].(int) > 10 })
	panicky := engine.NewGuardRegistry().
		MustRegister("is_approved", func(ctx engine.Context) bool { panic("the approval service is down") })

	plain := mustLoad(t, text)
	withGo, _, err := engine.Load([]byte(text), engine.WithGuards(reg))
	if err != nil {
		t.Fatal(err)
	}
	rebound := plain.WithGuards(reg)
	crashing := plain.WithGuards(panicky)

	tests := []struct {
		name       string
		m          *engine.Machine
		ctx        engine.Context
		wantTarget string
		wantCode   string
		wantChecks []engine.GuardCheck
	}{
		{
			name: "unbound without a registry", m: plain, ctx: engine.Context{"qty": 5000},
			wantCode: engine.ErrCodeGuardNotFound,
		},
		{
			name: "functions from WithGuards", m: withGo, ctx: engine.Context{"qty": 50, "approver": "ada"}, wantTarget: "b",
			wantChecks: []engine.GuardCheck{{Guard: "is_big", Kind: engine.GuardKindFunction, Passed: true}, {Guard: "is_approved", Kind: engine.GuardKindFunction, Passed: true}},
		},
		{
			name: "a function rejects", m: withGo, ctx: engine.Context{"qty": 50}, wantCode: engine.ErrCodeGuardRejected,
			wantChecks: []engine.GuardCheck{{Guard: "is_big", Kind: engine.GuardKindFunction, Passed: true}, {Guard: "is_approved", Kind: engine.GuardKindFunction, Passed: false}},
		},
		{
			name: "functions from Machine.WithGuards", m: rebound, ctx: engine.Context{"qty": 50, "approver": "ada"}, wantTarget: "b",
			wantChecks: []engine.GuardCheck{{Guard: "is_big", Kind: engine.GuardKindFunction, Passed: true}, {Guard: "is_approved", Kind: engine.GuardKindFunction, Passed: true}},
		},
		{
			name: "the rebound copy leaves the original unchanged", m: plain, ctx: engine.Context{"qty": 5000, "approver": "ada"},
			wantCode: engine.ErrCodeGuardNotFound,
		},
		{
			name: "a panicking guard fails", m: crashing, ctx: engine.Context{"qty": 5000}, wantCode: engine.ErrCodeGuardRejected,
			wantChecks: []engine.GuardCheck{
				{Guard: "is_big", Kind: engine.GuardKindExpression, Passed: true, Values: ops("qty", 5000)},
				{Guard: "is_approved", Kind: engine.GuardKindFunction, Passed: false, Error: "the guard panicked: the approval service is down"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.m.Process("a", "go", tc.ctx)
			code := ""
			if res.Error != nil {
				code = res.Error.Code
			}
			if res.TargetState != tc.wantTarget || code != tc.wantCode {
				t.Errorf("got %q %q, want %q %q", res.TargetState, code, tc.wantTarget, tc.wantCode)
			}
			if tc.wantChecks != nil {
				if got := res.GuardTrace()[0].Guards; !reflect.DeepEqual(got, tc.wantChecks) {
					t.Errorf("checks = %+v\nwant %+v", got, tc.wantChecks)
				}
			}
		})
	}
	t.Run("warnings follow the registry", func(t *testing.T) {
		if got := len(plain.Warnings()); got != 1 {
			t.Errorf("plain machine: %v, want one unbound_guard", plain.Warnings())
		}
		if got := withGo.Warnings(); len(got) != 0 {
			t.Errorf("with Go guards: %v, want none", got)
		}
		if got := rebound.Warnings(); len(got) != 0 {
			t.Errorf("rebound: %v, want none", got)
		}
	})
	t.Run("registering refuses bad names", func(t *testing.T) {
		err := engine.NewGuardRegistry().Register("Is-Big", func(engine.Context) bool { return true })
		if !errors.Is(err, engine.ErrInvalidName) {
			t.Errorf("err = %v, want ErrInvalidName", err)
		}
	})
}

// TestValidateContext checks SPEC 3.7: the merged context against
// state_variables, with each problem in error.details.
func TestValidateContext(t *testing.T) {
	m := mustLoad(t, `meta: {validate_context: true}
state_variables:
  - {key: order_id, type: string, required: true}
  - {key: qty, type: integer}
  - {key: price, type: number}
  - {key: urgent, type: boolean}
  - {key: tags, type: array}
  - {key: owner, type: object}
  - note
states:
  - {name: a, type: initial}
  - {name: b, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b}
`)
	tests := []struct {
		name        string
		ctx         engine.Context
		payload     engine.Payload
		wantDetails []engine.ContextProblem // nil: success
	}{
		{name: "valid", ctx: engine.Context{"order_id": "o-1", "qty": 3, "price": 9.5, "urgent": true, "tags": []any{"a"}, "owner": map[string]any{"id": 1}, "note": 5}},
		{name: "a whole float is an integer", ctx: engine.Context{"order_id": "o-1", "qty": 3.0}},
		{name: "the payload completes the context", ctx: engine.Context{}, payload: engine.Payload{"order_id": "o-1"}},
		{name: "required key missing", ctx: engine.Context{}, wantDetails: []engine.ContextProblem{{Key: "order_id", Problem: "required, but is missing"}}},
		{name: "required key null", ctx: engine.Context{"order_id": nil}, wantDetails: []engine.ContextProblem{{Key: "order_id", Problem: "required, but is null"}}},
		{name: "the payload overrides with a wrong type", ctx: engine.Context{"order_id": "o-1"}, payload: engine.Payload{"order_id": 7}, wantDetails: []engine.ContextProblem{{Key: "order_id", Problem: "must be a string, not the number 7"}}},
		{
			name: "every wrong type is listed",
			ctx:  engine.Context{"order_id": "o-1", "qty": 2.5, "price": "10", "urgent": "yes", "tags": "a,b", "owner": []any{}},
			wantDetails: []engine.ContextProblem{
				{Key: "qty", Problem: "must be an integer, not the number 2.5"},
				{Key: "price", Problem: `must be a number, not the string "10"`},
				{Key: "urgent", Problem: `must be a boolean, not the string "yes"`},
				{Key: "tags", Problem: `must be an array, not the string "a,b"`},
				{Key: "owner", Problem: "must be an object, not an array"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.ProcessWith("a", "go", tc.ctx, engine.ProcessOptions{Payload: tc.payload})
			if tc.wantDetails == nil {
				if !res.Success {
					t.Fatalf("failed: %v %+v", res.Err(), res.Error.Details)
				}
				return
			}
			if res.Success || res.Error.Code != engine.ErrCodeContextInvalid || !errors.Is(res.Err(), engine.ErrContextInvalid) {
				t.Fatalf("result = %v %v, want context_invalid", res.Success, res.Err())
			}
			if !reflect.DeepEqual(res.Error.Details, tc.wantDetails) {
				t.Errorf("details = %+v\nwant %+v", res.Error.Details, tc.wantDetails)
			}
		})
	}
	t.Run("not validated when validate_context is off", func(t *testing.T) {
		m := mustLoad(t, orderYAML)
		if res := m.Process("pending_new", "exchange_ack", engine.Context{"order_qty": "lots"}); !res.Success {
			t.Errorf("failed: %v", res.Err())
		}
	})
}

// TestPayloadAndPurity checks that the payload wins over the context and that
// Process changes neither.
func TestPayloadAndPurity(t *testing.T) {
	m := mustLoad(t, orderYAML)
	ctx := engine.Context{"fill_qty": 10, "order_qty": 100, "nested": map[string]any{"a": 1}}
	payload := engine.Payload{"fill_qty": 100}
	res := m.ProcessWith("open", "execution_report", ctx, engine.ProcessOptions{Payload: payload})
	if res.TargetState != "filled" {
		t.Errorf("target = %q (%v), want filled: the payload's fill_qty wins", res.TargetState, res.Err())
	}
	wantCtx := engine.Context{"fill_qty": 10, "order_qty": 100, "nested": map[string]any{"a": 1}}
	if !reflect.DeepEqual(ctx, wantCtx) || !reflect.DeepEqual(payload, engine.Payload{"fill_qty": 100}) {
		t.Errorf("context %v or payload %v changed", ctx, payload)
	}
	if res := m.Process("open", "execution_report", ctx); res.TargetState != "partially_filled" {
		t.Errorf("without payload: %q, want partially_filled", res.TargetState)
	}
}

// TestResultJSON checks the JSON shape of SPEC 3.2: lists always present,
// target_state null on failure, error null on success, metadata flat.
func TestResultJSON(t *testing.T) {
	m := mustLoad(t, `meta: {machine_name: shape, strict_mode: false}
guards:
  enough: "qty >= 10"
states:
  - {name: a, type: initial}
  - {name: b, on_enter: [{name: notify, params: {channel: ops}}], timeout: {seconds: 2, destination: c}}
  - {name: c, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, guards: [enough], actions: [ship], description: "ship it", sla_ms: 250}
  - {trigger: end, source: b, dest: c}
`)
	tests := []struct {
		name  string
		state string
		trig  string
		ctx   engine.Context
		want  string
	}{
		{
			name: "success", state: "a", trig: "go", ctx: engine.Context{"qty": 12},
			want: `{"success": true, "source_state": "a", "target_state": "b", "trigger": "go",
				"actions_to_execute": [{"name": "ship"}], "on_exit_actions": [],
				"on_enter_actions": [{"name": "notify", "params": {"channel": "ops"}}],
				"all_actions": ["ship", "notify"], "error": null,
				"metadata": {"transition_description": "ship it", "sla_ms": 250},
				"guard_trace": [{"transition": 0, "dest": "b", "guards": [{"guard": "enough", "kind": "expression", "passed": true, "values": {"qty": 12}}]}],
				"timers": [{"trigger": "_timeout", "after_ms": 2000, "kind": "timeout", "state": "b"}]}`,
		},
		{
			name: "failure", state: "a", trig: "go", ctx: engine.Context{"qty": 1},
			want: `{"success": false, "source_state": "a", "target_state": null, "trigger": "go",
				"actions_to_execute": [], "on_exit_actions": [], "on_enter_actions": [], "all_actions": [],
				"error": {"code": "guard_rejected", "type": "GuardRejectedError", "message": "the guard \"enough\" rejected \"go\" from \"a\"", "guard_name": "enough"},
				"metadata": {"reason": "guard_rejected", "guard_name": "enough"},
				"guard_trace": [{"transition": 0, "dest": "b", "guards": [{"guard": "enough", "kind": "expression", "passed": false, "values": {"qty": 1}}]}],
				"timers": []}`,
		},
		{
			name: "no-op", state: "b", trig: "go", ctx: nil,
			want: `{"success": true, "source_state": "b", "target_state": "b", "trigger": "go",
				"actions_to_execute": [], "on_exit_actions": [], "on_enter_actions": [], "all_actions": [],
				"error": null, "metadata": {"no_op": true, "reason": "no_matching_transition"},
				"guard_trace": [], "timers": []}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Process(tc.state, tc.trig, tc.ctx)
			raw, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", raw, tc.want)
			}

			var back engine.Result
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(back)
			if string(again) != string(raw) {
				t.Errorf("a decoded result marshals differently:\n%s\n%s", again, raw)
			}
		})
	}
}
