package engine_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/statorhq/stator/engine"
)

// loadTestdata loads a machine from testdata/ and fails on any problem.
func loadTestdata(t testing.TB, name string, opts ...engine.Option) *engine.Machine {
	t.Helper()
	m, problems, err := engine.LoadFile(filepath.Join("testdata", name), opts...)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("%s: unexpected problems %v", name, problems)
	}
	return m
}

func names(acts []engine.Action) []string {
	out := []string{}
	for _, a := range acts {
		out = append(out, a.Name)
	}
	return out
}

// moves is what a successful transition did: the target and the actions of
// each phase.
type moves struct {
	Target string
	Exit   []string
	Trans  []string
	Enter  []string
}

func movesOf(res engine.Result) moves {
	return moves{Target: res.TargetState, Exit: names(res.OnExitActions), Trans: names(res.ActionsToExecute), Enter: names(res.OnEnterActions)}
}

// checkMoves compares a result with the expected moves, and all_actions with
// exit + transition + enter.
func checkMoves(t *testing.T, res engine.Result, want moves) {
	t.Helper()
	if !res.Success {
		t.Fatalf("failed: %v", res.Err())
	}
	for _, l := range []*[]string{&want.Exit, &want.Trans, &want.Enter} {
		if *l == nil {
			*l = []string{}
		}
	}
	if got := movesOf(res); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	all := append(append(append([]string{}, want.Exit...), want.Trans...), want.Enter...)
	if got := append([]string{}, res.AllActions...); !reflect.DeepEqual(got, all) {
		t.Errorf("all_actions = %v, want %v", got, all)
	}
}

// TestStrictAndNonStrict checks SPEC 3.1 step 4 in both modes.
func TestStrictAndNonStrict(t *testing.T) {
	strict := mustLoad(t, orderYAML)
	lenient := mustLoad(t, strings.Replace(orderYAML, "strict_mode: true", "strict_mode: false", 1))
	tests := []struct {
		name       string
		m          *engine.Machine
		state      string
		trigger    string
		wantOK     bool
		wantTarget string
		wantCode   string
		wantMeta   engine.Metadata
	}{
		{name: "strict: trigger from the wrong state", m: strict, state: "open", trigger: "exchange_ack",
			wantCode: engine.ErrCodeInvalidTransition, wantMeta: engine.Metadata{Reason: "invalid_transition"}},
		{name: "strict: unknown trigger", m: strict, state: "open", trigger: "bogus",
			wantCode: engine.ErrCodeUndefinedTrigger, wantMeta: engine.Metadata{Reason: "undefined_trigger"}},
		{name: "non-strict: trigger from the wrong state is a no-op", m: lenient, state: "open", trigger: "exchange_ack",
			wantOK: true, wantTarget: "open", wantMeta: engine.Metadata{NoOp: true, Reason: "no_matching_transition"}},
		{name: "non-strict: unknown trigger is a no-op", m: lenient, state: "open", trigger: "bogus",
			wantOK: true, wantTarget: "open", wantMeta: engine.Metadata{NoOp: true, Reason: "no_matching_transition"}},
		{name: "non-strict: terminal state is still refused", m: lenient, state: "filled", trigger: "bogus",
			wantCode: engine.ErrCodeTerminalState, wantMeta: engine.Metadata{Reason: "terminal_state"}},
		{name: "non-strict: unknown state is still refused", m: lenient, state: "nowhere", trigger: "exchange_ack",
			wantCode: engine.ErrCodeUndefinedState, wantMeta: engine.Metadata{Reason: "undefined_state"}},
		{name: "non-strict: guards still reject", m: lenient, state: "open", trigger: "cancel_request",
			wantCode: engine.ErrCodeGuardRejected, wantMeta: engine.Metadata{Reason: "guard_rejected", GuardName: "is_cancellable"}},
		{name: "both: a transition still works", m: lenient, state: "pending_new", trigger: "exchange_ack",
			wantOK: true, wantTarget: "open"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.m.Process(tc.state, tc.trigger, engine.Context{"in_flight": true})
			code := ""
			if res.Error != nil {
				code = res.Error.Code
			}
			if res.Success != tc.wantOK || res.TargetState != tc.wantTarget || code != tc.wantCode {
				t.Errorf("got %v %q %q, want %v %q %q", res.Success, res.TargetState, code, tc.wantOK, tc.wantTarget, tc.wantCode)
			}
			if !reflect.DeepEqual(res.Metadata, tc.wantMeta) {
				t.Errorf("metadata = %+v, want %+v", res.Metadata, tc.wantMeta)
			}
			if res.NoOp() && (len(res.AllActions) != 0 || len(res.Timers) != 0) {
				t.Errorf("a no-op has actions %v and timers %v", res.AllActions, res.Timers)
			}
		})
	}
}

// TestErrorCodes has one case per result error code, with pystator's type
// name and the sentinel for errors.Is.
func TestErrorCodes(t *testing.T) {
	m := mustLoad(t, orderYAML)
	unbound := mustLoad(t, "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b, guards: [is_ready]}\n")
	validating := mustLoad(t, "meta: {validate_context: true}\nstate_variables: [{key: id, required: true}]\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n")
	tests := []struct {
		name     string
		m        *engine.Machine
		state    string
		trigger  string
		wantCode string
		wantType string
		wantErr  error
	}{
		{name: "invalid transition", m: m, state: "open", trigger: "exchange_ack", wantCode: "invalid_transition", wantType: "InvalidTransitionError", wantErr: engine.ErrInvalidTransition},
		{name: "guard rejected", m: m, state: "open", trigger: "execution_report", wantCode: "guard_rejected", wantType: "GuardRejectedError", wantErr: engine.ErrGuardRejected},
		{name: "terminal state", m: m, state: "filled", trigger: "exchange_ack", wantCode: "terminal_state", wantType: "TerminalStateError", wantErr: engine.ErrTerminalState},
		{name: "undefined trigger", m: m, state: "open", trigger: "bogus", wantCode: "undefined_trigger", wantType: "UndefinedTriggerError", wantErr: engine.ErrUndefinedTrigger},
		{name: "undefined state", m: m, state: "opn", trigger: "cancel_request", wantCode: "undefined_state", wantType: "UndefinedStateError", wantErr: engine.ErrUndefinedState},
		{name: "guard not found", m: unbound, state: "a", trigger: "go", wantCode: "guard_not_found", wantType: "GuardNotFoundError", wantErr: engine.ErrGuardNotFound},
		{name: "context invalid", m: validating, state: "a", trigger: "go", wantCode: "context_invalid", wantType: "ContextValidationError", wantErr: engine.ErrContextInvalid},
	}
	all := []error{engine.ErrInvalidTransition, engine.ErrGuardRejected, engine.ErrTerminalState, engine.ErrUndefinedTrigger,
		engine.ErrUndefinedState, engine.ErrConfiguration, engine.ErrGuardNotFound, engine.ErrContextInvalid}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.m.Process(tc.state, tc.trigger, engine.Context{"fill_qty": 0, "order_qty": 100})
			if res.Success || res.Error == nil || res.TargetState != "" {
				t.Fatalf("result = %v %q %v, want a failure", res.Success, res.TargetState, res.Error)
			}
			if res.Error.Code != tc.wantCode || res.Error.Type != tc.wantType || res.Error.Message == "" {
				t.Errorf("error = %+v, want code %q type %q and a message", res.Error, tc.wantCode, tc.wantType)
			}
			for _, sentinel := range all {
				if got, want := errors.Is(res.Err(), sentinel), sentinel == tc.wantErr; got != want {
					t.Errorf("errors.Is(err, %v) = %v, want %v", sentinel, got, want)
				}
			}
			var e *engine.Error
			if !errors.As(res.Err(), &e) || e.Code != tc.wantCode {
				t.Errorf("errors.As gives %v", e)
			}
		})
	}
	t.Run("configuration error", func(t *testing.T) {
		// A compiled machine is valid, so Process never answers
		// configuration_error; the code still maps to its sentinel.
		err := error(&engine.Error{Code: engine.ErrCodeConfiguration})
		if !errors.Is(err, engine.ErrConfiguration) || errors.Is(err, engine.ErrUndefinedState) {
			t.Errorf("configuration_error does not map to ErrConfiguration only")
		}
	})
	t.Run("success has no error", func(t *testing.T) {
		res := m.Process("pending_new", "exchange_ack", nil)
		if res.Err() != nil || res.Error != nil {
			t.Errorf("Err() = %v", res.Err())
		}
	})
}

// TestErrorDetails checks the fields that come with some error codes.
func TestErrorDetails(t *testing.T) {
	m := mustLoad(t, orderYAML+"  - {source: open, dest: open, after: 1s}\n")
	t.Run("guard_rejected names the first failing guard of the first candidate", func(t *testing.T) {
		res := m.Process("open", "execution_report", engine.Context{"fill_qty": 0, "order_qty": 100})
		want := engine.Metadata{Reason: "guard_rejected", GuardName: "is_full_fill"}
		if !reflect.DeepEqual(res.Metadata, want) || res.Error.GuardName != "is_full_fill" {
			t.Errorf("metadata = %+v, error.guard_name = %q", res.Metadata, res.Error.GuardName)
		}
	})
	t.Run("undefined_trigger lists the user triggers, sorted", func(t *testing.T) {
		res := m.Process("open", "bogus", nil)
		want := []string{"cancel_request", "exchange_ack", "exchange_nack", "execution_report"}
		if !reflect.DeepEqual(res.Error.AvailableTriggers, want) {
			t.Errorf("available_triggers = %v, want %v", res.Error.AvailableTriggers, want)
		}
	})
	t.Run("terminal state is checked before the trigger", func(t *testing.T) {
		res := m.Process("filled", "bogus", nil)
		if res.Error.Code != engine.ErrCodeTerminalState || res.Metadata.Reason != "terminal_state" {
			t.Errorf("error = %v, reason = %q", res.Error.Code, res.Metadata.Reason)
		}
	})
	t.Run("undefined_state suggests the closest name", func(t *testing.T) {
		res := m.Process("opn", "cancel_request", nil)
		if !strings.Contains(res.Error.Message, `did you mean "open"?`) {
			t.Errorf("message = %q", res.Error.Message)
		}
	})
}

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

// TestHierarchy checks SPEC 3.4 on three levels of compound states.
func TestHierarchy(t *testing.T) {
	m := loadTestdata(t, "hierarchy.yaml")
	tests := []struct {
		name    string
		state   string
		trigger string
		want    moves
	}{
		{name: "entering a compound state follows initial_child to a leaf", state: "idle", trigger: "start",
			want: moves{Target: "scanning", Exit: []string{"exit_idle"}, Trans: []string{"t_start"}, Enter: []string{"enter_ops", "enter_trading", "enter_scanning"}}},
		{name: "siblings: the parent stays", state: "scanning", trigger: "signal",
			want: moves{Target: "analyzing", Exit: []string{"exit_scanning"}, Trans: []string{"t_signal"}, Enter: []string{"enter_analyzing"}}},
		{name: "cousins: exit and enter up to the least common ancestor", state: "analyzing", trigger: "escalate",
			want: moves{Target: "checking", Exit: []string{"exit_analyzing", "exit_trading"}, Trans: []string{"t_escalate"}, Enter: []string{"enter_review", "enter_checking"}}},
		{name: "self-transition runs only its own actions", state: "scanning", trigger: "rescan",
			want: moves{Target: "scanning", Trans: []string{"t_rescan"}}},
		{name: "child to parent does not exit or re-enter the parent", state: "analyzing", trigger: "reset",
			want: moves{Target: "scanning", Exit: []string{"exit_analyzing"}, Trans: []string{"t_reset"}, Enter: []string{"enter_scanning"}}},
		{name: "child to grandparent", state: "checking", trigger: "up",
			want: moves{Target: "scanning", Exit: []string{"exit_checking", "exit_review"}, Trans: []string{"t_up"}, Enter: []string{"enter_trading", "enter_scanning"}}},
		{name: "an ancestor's transition applies to a leaf two levels down", state: "scanning", trigger: "finish",
			want: moves{Target: "done", Exit: []string{"exit_scanning", "exit_trading", "exit_ops"}, Trans: []string{"t_finish"}, Enter: []string{"enter_done"}}},
		{name: "the most specific source wins over the ancestor", state: "analyzing", trigger: "finish",
			want: moves{Target: "checking", Exit: []string{"exit_analyzing", "exit_trading"}, Trans: []string{"t_review"}, Enter: []string{"enter_review", "enter_checking"}}},
		{name: "a compound current state: exits start at it", state: "trading", trigger: "abort",
			want: moves{Target: "idle", Exit: []string{"exit_trading", "exit_ops"}, Trans: []string{"t_abort"}}},
		{name: "the outermost compound as current state", state: "ops", trigger: "finish",
			want: moves{Target: "done", Exit: []string{"exit_ops"}, Trans: []string{"t_finish"}, Enter: []string{"enter_done"}}},
		{name: "an ancestor's timeout applies to its children", state: "checking", trigger: "_timeout",
			want: moves{Target: "idle", Exit: []string{"exit_checking", "exit_review", "exit_ops"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkMoves(t, m.Process(tc.state, tc.trigger, nil), tc.want)
		})
	}
	t.Run("a compound current state does not see its children's transitions", func(t *testing.T) {
		res := m.Process("trading", "signal", nil)
		if res.Error == nil || res.Error.Code != engine.ErrCodeInvalidTransition {
			t.Errorf("result = %v %v, want invalid_transition", res.Success, res.Err())
		}
	})
	t.Run("the timeout transition is described", func(t *testing.T) {
		res := m.Process("scanning", "_timeout", nil)
		if got, want := res.Metadata.TransitionDescription, "timeout after 60s"; got != want {
			t.Errorf("description = %q, want %q", got, want)
		}
	})
}

// TestParallel checks SPEC 3.6.
func TestParallel(t *testing.T) {
	m := loadTestdata(t, "parallel.yaml")
	const start = "active:risk=normal,trading=scanning"
	tests := []struct {
		name        string
		state       string
		trigger     string
		want        moves
		wantRegions []engine.RegionResult
	}{
		{name: "entering enters every region at its initial state", state: "idle", trigger: "start",
			want: moves{Target: start, Exit: []string{"exit_idle"}, Trans: []string{"t_start"}, Enter: []string{"enter_active", "enter_scanning", "enter_normal"}}},
		{name: "entering from outside into a region state", state: "idle", trigger: "jump",
			want: moves{Target: "active:risk=normal,trading=sending", Exit: []string{"exit_idle"}, Trans: []string{"t_jump"}, Enter: []string{"enter_active", "enter_working", "enter_sending", "enter_normal"}}},
		{name: "two regions move: exits, then transitions, then enters, in region order", state: start, trigger: "tick",
			want: moves{Target: "active:risk=elevated,trading=sizing", Exit: []string{"exit_scanning", "exit_normal"}, Trans: []string{"t_trade", "t_risk"}, Enter: []string{"enter_working", "enter_sizing", "enter_elevated"}},
			wantRegions: []engine.RegionResult{
				{Region: "trading", SourceState: "scanning", TargetState: "sizing", Transition: 2},
				{Region: "risk", SourceState: "normal", TargetState: "elevated", Transition: 3},
			}},
		{name: "regions may be given in any order", state: "active:trading=scanning,risk=normal", trigger: "tick",
			want: moves{Target: "active:risk=elevated,trading=sizing", Exit: []string{"exit_scanning", "exit_normal"}, Trans: []string{"t_trade", "t_risk"}, Enter: []string{"enter_working", "enter_sizing", "enter_elevated"}},
			wantRegions: []engine.RegionResult{
				{Region: "trading", SourceState: "scanning", TargetState: "sizing", Transition: 2},
				{Region: "risk", SourceState: "normal", TargetState: "elevated", Transition: 3},
			}},
		{name: "a move inside a compound region state", state: "active:risk=elevated,trading=sizing", trigger: "send",
			want:        moves{Target: "active:risk=elevated,trading=sending", Exit: []string{"exit_sizing"}, Trans: []string{"t_send"}, Enter: []string{"enter_sending"}},
			wantRegions: []engine.RegionResult{{Region: "trading", SourceState: "sizing", TargetState: "sending", Transition: 4}}},
		{name: "a transition restricted to its region", state: "active:risk=elevated,trading=sending", trigger: "calm",
			want:        moves{Target: "active:risk=normal,trading=sending", Exit: []string{"exit_elevated"}, Trans: []string{"t_calm"}, Enter: []string{"enter_normal"}},
			wantRegions: []engine.RegionResult{{Region: "risk", SourceState: "elevated", TargetState: "normal", Transition: 9}}},
		{name: "a region leaving the parallel state pre-empts the later regions", state: start, trigger: "panic",
			want:        moves{Target: "halted", Exit: []string{"exit_scanning", "exit_normal", "exit_active"}, Trans: []string{"t_panic"}, Enter: []string{"enter_halted"}},
			wantRegions: []engine.RegionResult{{Region: "trading", SourceState: "scanning", TargetState: "halted", Transition: 5}}},
		{name: "an earlier region's move keeps its transition actions when a later one leaves", state: start, trigger: "alarm",
			want: moves{Target: "halted", Exit: []string{"exit_scanning", "exit_normal", "exit_active"}, Trans: []string{"t_alarm_trade", "t_alarm_risk"}, Enter: []string{"enter_halted"}},
			wantRegions: []engine.RegionResult{
				{Region: "trading", SourceState: "scanning", TargetState: "sizing", Transition: 7},
				{Region: "risk", SourceState: "normal", TargetState: "halted", Transition: 8},
			}},
		{name: "a transition on the parallel state exits every region, innermost first", state: "active:risk=elevated,trading=sending", trigger: "stop",
			want: moves{Target: "idle", Exit: []string{"exit_sending", "exit_working", "exit_elevated", "exit_active"}, Trans: []string{"t_stop"}}},
		{name: "a region state's timeout", state: start, trigger: "_timeout",
			want:        moves{Target: "idle", Exit: []string{"exit_scanning", "exit_normal", "exit_active"}},
			wantRegions: []engine.RegionResult{{Region: "trading", SourceState: "scanning", TargetState: "idle", Transition: 11}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Process(tc.state, tc.trigger, nil)
			checkMoves(t, res, tc.want)
			if !reflect.DeepEqual(res.RegionResults, tc.wantRegions) {
				t.Errorf("region_results = %+v\nwant %+v", res.RegionResults, tc.wantRegions)
			}
		})
	}

	t.Run("entering arms the timers of the region states entered", func(t *testing.T) {
		res := m.Process("idle", "start", nil)
		want := []engine.Timer{{Trigger: "_timeout", AfterMs: 30000, Kind: engine.TimerTimeout, State: "scanning"}}
		if !reflect.DeepEqual(res.Timers, want) {
			t.Errorf("timers = %+v, want %+v", res.Timers, want)
		}
	})

	t.Run("failures", func(t *testing.T) {
		tests := []struct {
			name        string
			state       string
			trigger     string
			wantCode    string
			wantMessage string // part of the message
		}{
			{name: "unknown trigger", state: start, trigger: "bogus", wantCode: engine.ErrCodeUndefinedTrigger},
			{name: "no region handles it", state: start, trigger: "send", wantCode: engine.ErrCodeInvalidTransition},
			{name: "plain name of a region state", state: "scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState,
				wantMessage: `pass the whole configuration, such as "active:risk=normal,trading=scanning"`},
			{name: "plain name of a nested region state", state: "sending", trigger: "tick", wantCode: engine.ErrCodeUndefinedState,
				wantMessage: `"active:risk=normal,trading=sending"`},
			{name: "unknown parallel state", state: "busy:risk=normal,trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "not a parallel state", state: "idle:risk=normal,trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a region missing", state: "active:trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState, wantMessage: `missing the region "risk"`},
			{name: "an unknown region", state: "active:risk=normal,trading=scanning,extra=x", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a region twice", state: "active:risk=normal,risk=elevated,trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a leaf outside its region", state: "active:risk=scanning,trading=normal", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "an unknown leaf", state: "active:risk=normal,trading=ghost", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a wrong separator", state: "active:risk=normal;trading=scanning", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "no regions at all", state: "active:", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
			{name: "a state outside the parallel state", state: "active:risk=normal,trading=idle", trigger: "tick", wantCode: engine.ErrCodeUndefinedState},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				res := m.Process(tc.state, tc.trigger, nil)
				if res.Success || res.Error.Code != tc.wantCode {
					t.Fatalf("result = %v %v, want %s", res.Success, res.Err(), tc.wantCode)
				}
				if tc.wantCode == engine.ErrCodeUndefinedState && res.Error.Type != "UndefinedStateError" {
					t.Errorf("type = %q", res.Error.Type)
				}
				if !strings.Contains(res.Error.Message, tc.wantMessage) {
					t.Errorf("message = %q, want it to contain %q", res.Error.Message, tc.wantMessage)
				}
			})
		}
	})
}

// TestTimers checks SPEC 3.8: a transition's timers are those of every state
// it enters, in order; `after` transitions get a synthetic trigger.
func TestTimers(t *testing.T) {
	m := loadTestdata(t, "timers.yaml")
	timeout := func(ms int64, state string) engine.Timer {
		return engine.Timer{Trigger: "_timeout", AfterMs: ms, Kind: engine.TimerTimeout, State: state}
	}
	after := func(trigger string, ms int64, state string) engine.Timer {
		return engine.Timer{Trigger: trigger, AfterMs: ms, Kind: engine.TimerAfter, State: state}
	}
	tests := []struct {
		name       string
		state      string
		trigger    string
		wantTarget string
		wantTimers []engine.Timer
	}{
		{name: "the timers of every entered state, outermost first", state: "idle", trigger: "go", wantTarget: "warming",
			wantTimers: []engine.Timer{timeout(60000, "busy"), timeout(1500, "warming")}},
		{name: "a child's own timeout is more specific than its parent's", state: "warming", trigger: "_timeout", wantTarget: "running",
			wantTimers: []engine.Timer{after("_after_running_500_ms", 500, "running"), after("poll", 120000, "running")}},
		{name: "the parent's timeout applies to another child", state: "running", trigger: "_timeout", wantTarget: "idle",
			wantTimers: []engine.Timer{}},
		{name: "a delayed transition fires on its synthetic trigger", state: "running", trigger: "_after_running_500_ms", wantTarget: "cooling",
			wantTimers: []engine.Timer{after("_after_cooling_3600000_ms", 3600000, "cooling")}},
		// Decided: a self-transition enters nothing (pystator's local
		// semantics), yet it restarts the state's own timers, so that an
		// `after` self-loop polls periodically and an event on a state
		// resets its timeout (a watchdog).
		{name: "a self-transition restarts the state's own timers", state: "running", trigger: "poll", wantTarget: "running",
			wantTimers: []engine.Timer{after("_after_running_500_ms", 500, "running"), after("poll", 120000, "running")}},
		{name: "a transition from a compound state enters no timers of its own", state: "running", trigger: "cool", wantTarget: "cooling",
			wantTimers: []engine.Timer{after("_after_cooling_3600000_ms", 3600000, "cooling")}},
		{name: "a state without timers", state: "cooling", trigger: "shutdown", wantTarget: "off", wantTimers: []engine.Timer{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Process(tc.state, tc.trigger, nil)
			if res.TargetState != tc.wantTarget {
				t.Fatalf("target = %q (%v), want %q", res.TargetState, res.Err(), tc.wantTarget)
			}
			if got := append([]engine.Timer{}, res.Timers...); !reflect.DeepEqual(got, tc.wantTimers) {
				t.Errorf("timers = %+v\nwant %+v", got, tc.wantTimers)
			}
		})
	}
	t.Run("the machine's initial timers", func(t *testing.T) {
		got := loadTestdata(t, "hierarchy.yaml").InitialTimers()
		if len(got) != 0 {
			t.Errorf("hierarchy: %v, want none", got)
		}
		order := mustLoad(t, orderYAML)
		if got, want := order.InitialTimers(), []engine.Timer{timeout(5000, "pending_new")}; !reflect.DeepEqual(got, want) {
			t.Errorf("order: %v, want %v", got, want)
		}
	})
	t.Run("synthetic triggers are not user triggers", func(t *testing.T) {
		if got, want := m.Triggers(), []string{"cool", "go", "poll", "shutdown"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Triggers() = %v, want %v", got, want)
		}
	})
}

// TestConcurrentProcess uses one machine from many goroutines (run with
// -race) and checks that every answer equals the one computed alone.
func TestConcurrentProcess(t *testing.T) {
	order := mustLoad(t, orderYAML)
	desk := loadTestdata(t, "parallel.yaml")
	nested := loadTestdata(t, "hierarchy.yaml")
	type call struct {
		m       *engine.Machine
		state   string
		trigger string
		ctx     engine.Context
		payload engine.Payload
	}
	calls := []call{
		{m: order, state: "open", trigger: "execution_report", ctx: engine.Context{"fill_qty": 100, "order_qty": 100}},
		{m: order, state: "open", trigger: "execution_report", ctx: engine.Context{"order_qty": 100}, payload: engine.Payload{"fill_qty": 40}},
		{m: order, state: "open", trigger: "execution_report", ctx: engine.Context{"fill_qty": 0, "order_qty": 100}},
		{m: order, state: "open", trigger: "cancel_request", ctx: engine.Context{}},
		{m: order, state: "filled", trigger: "cancel_request"},
		{m: order, state: "nowhere", trigger: "exchange_ack"},
		{m: desk, state: "active:risk=normal,trading=scanning", trigger: "tick"},
		{m: desk, state: "active:risk=normal,trading=scanning", trigger: "alarm"},
		{m: desk, state: "active:risk=normal,trading=bogus", trigger: "tick"},
		{m: nested, state: "scanning", trigger: "finish"},
		{m: nested, state: "analyzing", trigger: "escalate"},
	}
	want := make([]string, len(calls))
	for i, c := range calls {
		raw, err := json.Marshal(c.m.ProcessWith(c.state, c.trigger, c.ctx, engine.ProcessOptions{Payload: c.payload}))
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(raw)
	}
	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				i := (w + r) % len(calls)
				c := calls[i]
				raw, _ := json.Marshal(c.m.ProcessWith(c.state, c.trigger, c.ctx, engine.ProcessOptions{Payload: c.payload}))
				if string(raw) != want[i] {
					errs <- fmt.Sprintf("call %d:\n got %s\nwant %s", i, raw, want[i])
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestHasTimers(t *testing.T) {
	m, _, err := engine.Load([]byte(`
meta: {machine_name: timers}
states:
  - {name: idle, type: initial}
  - {name: busy, initial_child: step, timeout: {seconds: 5, destination: idle}}
  - {name: step, parent: busy}
  - {name: poll, after_note: x}
  - name: par
    type: parallel
    regions:
      - {name: r1, initial: a, states: [a]}
      - {name: r2, initial: b, states: [b]}
  - {name: a, parent: par}
  - {name: b, parent: par}
transitions:
  - {trigger: go, source: idle, dest: busy}
  - {source: poll, dest: idle, after: 100}
  - {trigger: p, source: idle, dest: poll}
  - {trigger: q, source: idle, dest: par}
  - {trigger: back, source: [a, b, par], dest: idle}
  - {source: b, dest: b, trigger: tick, after: "1s"}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		state string
		want  bool
	}{
		{"idle", false},
		{"step", true}, // its parent's timeout
		{"busy", true},
		{"poll", true}, // a delayed transition
		{"par:r1=a,r2=b", true},
		{"nope", true}, // unknown: the safe answer
	}
	for _, tc := range tests {
		if got := m.HasTimers(tc.state); got != tc.want {
			t.Errorf("HasTimers(%q) = %v, want %v", tc.state, got, tc.want)
		}
	}
}
