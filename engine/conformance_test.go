package engine_test

import (
	"encoding/json"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/enginetest"
)

// TestConformance runs every case and validate expectation of
// testdata/conformance (a copy of the shared conformance suite) on the engine.
func TestConformance(t *testing.T) {
	files, err := enginetest.Load("testdata/conformance")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			m, problems, loadErr := engine.Load([]byte(f.Machine))
			if f.Validate != nil {
				checkValidation(t, f.Validate, problems, loadErr)
			}
			if len(f.Cases) > 0 && loadErr != nil {
				t.Fatalf("machine does not load: %v", loadErr)
			}
			for _, tc := range f.Cases {
				t.Run(tc.Name, func(t *testing.T) {
					res := m.ProcessWith(tc.State, tc.Trigger, tc.Context, engine.ProcessOptions{Payload: tc.Payload, GuardValues: tc.GuardValues})
					raw, err := json.Marshal(res)
					if err != nil {
						t.Fatal(err)
					}
					got, err := enginetest.View(raw)
					if err != nil {
						t.Fatal(err)
					}
					if err := enginetest.Match(tc.Expect, got); err != nil {
						t.Errorf("%v\nresult: %s", err, raw)
					}
				})
			}
		})
	}
}

func checkValidation(t *testing.T, want *enginetest.ValidateSpec, problems engine.Problems, loadErr error) {
	t.Helper()
	if got := loadErr == nil; got != want.Valid {
		t.Errorf("valid = %v, want %v; problems: %v", got, want.Valid, problems)
	}
	var got []enginetest.Problem
	for _, p := range problems {
		got = append(got, enginetest.Problem{Code: p.Code, Path: p.Path, Line: p.Line})
	}
	for _, w := range append(append([]enginetest.ExpectedProblem{}, want.Errors...), want.Warnings...) {
		if !enginetest.FindProblem(w, got) {
			t.Errorf("missing problem %+v; got %v", w, problems)
		}
	}
}
