package engine_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/statorhq/stator/engine"
)

const remapMachine = `
meta: {machine_name: remap}
states:
  - {name: idle, type: initial, timeout: {seconds: 5, destination: done}}
  - {name: work, initial_child: prep}
  - {name: prep, parent: work}
  - {name: cook, parent: work}
  - name: run
    type: parallel
    regions:
      - {name: a, initial: a1, states: [a1, a2]}
      - {name: b, initial: b1, states: [b1, b2]}
  - {name: a1, parent: run}
  - {name: a2, parent: run}
  - {name: b1, parent: run}
  - {name: b2, parent: run}
  - {name: done, type: terminal}
transitions:
  - {trigger: go, source: idle, dest: work}
  - {trigger: go, source: work, dest: run}
  - {source: cook, dest: done, after: 2s}
  - {trigger: fin, source: run, dest: done}
`

func TestRemap(t *testing.T) {
	m, _, err := engine.Load([]byte(remapMachine))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		state   string
		mapping map[string]string
		want    string
		fails   bool
	}{
		{"unchanged", "idle", nil, "idle", false},
		{"renamed", "waiting", map[string]string{"waiting": "idle"}, "idle", false},
		{"gone", "waiting", nil, "", true},
		{"mapped to nothing", "waiting", map[string]string{"waiting": "nope"}, "", true},
		{"compound to its initial leaf", "work", nil, "prep", false},
		{"a leaf inside a compound", "cook", nil, "cook", false},
		{"parallel state to its initial configuration", "run", nil, "run:a=a1,b=b1", false},
		{"region state to a configuration", "a2", nil, "run:a=a2,b=b1", false},
		{"configuration unchanged, regions sorted", "run:b=b2,a=a1", nil, "run:a=a1,b=b2", false},
		{"configuration with a renamed leaf", "run:a=old_a,b=b1", map[string]string{"old_a": "a2"}, "run:a=a2,b=b1", false},
		{"configuration with a leaf that is gone", "run:a=old_a,b=b1", nil, "", true},
		{"configuration left incomplete", "run:a=a1", nil, "", true},
		{"renamed parallel state", "par:a=a1,b=b2", map[string]string{"par": "run"}, "run:a=a1,b=b2", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Remap(tc.state, tc.mapping)
			if tc.fails {
				if !errors.Is(err, engine.ErrUnmappable) {
					t.Fatalf("Remap(%q) = %q, %v; want ErrUnmappable", tc.state, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Remap(%q) = %q, %v; want %q", tc.state, got, err, tc.want)
			}
		})
	}
}

func TestActiveTimers(t *testing.T) {
	m, _, err := engine.Load([]byte(remapMachine))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ state, want string }{
		{"idle", "[{_timeout 5000 timeout idle}]"},
		{"cook", "[{_after_cook_2000_ms 2000 after cook}]"},
		{"prep", "[]"},
		{"run:a=a1,b=b1", "[]"},
	}
	for _, tc := range tests {
		got, err := m.ActiveTimers(tc.state)
		if err != nil || fmt.Sprint(got) != tc.want && !(tc.want == "[]" && len(got) == 0) {
			t.Errorf("ActiveTimers(%q) = %v, %v; want %s", tc.state, got, err, tc.want)
		}
	}
	if _, err := m.ActiveTimers("nope"); err == nil {
		t.Error("ActiveTimers of an unknown state: no error")
	}
}
