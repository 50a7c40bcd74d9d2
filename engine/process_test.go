package engine_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
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
