package engine_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
)

// TestLoadFileSubstitution checks ${VAR}, ${VAR:-default} and ${VAR:?message}
// in files, with the environment given by WithLookupEnv.
func TestLoadFileSubstitution(t *testing.T) {
	const text = `meta: {machine_name: "${NAME}", version: "${VERSION:-0.1.0}"}
states:
  - {name: "${START:?the first state is needed}", type: initial}
  - {name: done, type: terminal}
transitions:
  - {trigger: go, source: "${START:?the first state is needed}", dest: done}
`
	path := filepath.Join(t.TempDir(), "machine.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		env         map[string]string
		wantName    string
		wantVersion string
		wantInitial string
		wantErr     string // part of the error message; "" for success
	}{
		{
			name:        "every variable set",
			env:         map[string]string{"NAME": "orders", "VERSION": "2.0.0", "START": "begin"},
			wantName:    "orders",
			wantVersion: "2.0.0",
			wantInitial: "begin",
		},
		{
			name:        "default used when unset",
			env:         map[string]string{"NAME": "orders", "START": "begin"},
			wantName:    "orders",
			wantVersion: "0.1.0",
			wantInitial: "begin",
		},
		{
			name:        "default used when empty",
			env:         map[string]string{"NAME": "orders", "VERSION": "", "START": "begin"},
			wantName:    "orders",
			wantVersion: "0.1.0",
			wantInitial: "begin",
		},
		{
			name:    "required variable missing",
			env:     map[string]string{"NAME": "orders"},
			wantErr: "${START}: the first state is needed",
		},
		{
			name:    "plain variable missing",
			env:     map[string]string{"START": "begin"},
			wantErr: "${NAME} is not set",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			m, _, err := engine.LoadFile(path, engine.WithLookupEnv(lookup))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := []string{m.Name(), m.Version(), m.InitialState()}; !reflect.DeepEqual(got, []string{tc.wantName, tc.wantVersion, tc.wantInitial}) {
				t.Errorf("name, version, initial = %v, want %v", got, []string{tc.wantName, tc.wantVersion, tc.wantInitial})
			}
		})
	}
}

// TestLoadTextIsNotSubstituted checks that ${VAR} is only substituted in files:
// editor text is taken as written.
func TestLoadTextIsNotSubstituted(t *testing.T) {
	m := mustLoad(t, "meta: {machine_name: \"${NAME}\"}\nstates:\n  - {name: a, type: initial}\ntransitions: []\n")
	if got, want := m.Name(), "${NAME}"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, _, err := engine.LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want os.ErrNotExist", err)
	}
}

// TestLoadMap loads a machine from a Go value (a decoded JSON object).
func TestLoadMap(t *testing.T) {
	doc := map[string]any{
		"meta": map[string]any{"machine_name": "from_go"},
		"states": []any{
			map[string]any{"name": "a", "type": "initial"},
			map[string]any{"name": "b", "type": "terminal"},
		},
		"transitions": []any{
			map[string]any{"trigger": "go", "source": "a", "dest": "b", "guards": []any{map[string]any{"expr": "n > 1"}}},
		},
	}
	m, problems, err := engine.LoadMap(doc)
	if err != nil || len(problems) != 0 {
		t.Fatalf("LoadMap: %v %v", err, problems)
	}
	res := m.Process("a", "go", engine.Context{"n": 2})
	if got, want := res.TargetState, "b"; got != want {
		t.Errorf("target = %q, want %q (%v)", got, want, res.Err())
	}

	t.Run("values of any Go shape", func(t *testing.T) {
		// strings starting with a line break do not survive a YAML round trip
		doc := map[string]any{
			"meta": map[string]any{"machine_name": "shapes", "description": "\nMulti-line\n- with a dash"},
			"state_variables": []map[string]any{
				{"key": "limit", "type": "number", "default": json.Number("2.5")},
				{"key": "count", "type": "integer", "default": json.Number("3")},
				{"key": "flag", "type": "boolean", "default": true},
			},
			"states": []any{
				engine.Context{"name": "a", "type": "initial", "timeout": map[string]any{"seconds": float32(1.5), "destination": "b"}},
				map[string]string{"name": "b", "type": "terminal"},
			},
			"transitions": []any{
				map[string]any{"trigger": "go", "source": []string{"a"}, "dest": "b", "guards": []any{map[string]any{"expr": "\n0 < limit"}}},
			},
		}
		m, problems, err := engine.LoadMap(doc)
		if err != nil {
			t.Fatalf("LoadMap: %v", problems)
		}
		if got, want := m.Description(), "\nMulti-line\n- with a dash"; got != want {
			t.Errorf("Description() = %q, want %q", got, want)
		}
		if got, want := m.Definition().Defaults(), (engine.Context{"limit": 2.5, "count": 3, "flag": true}); !reflect.DeepEqual(got, want) {
			t.Errorf("Defaults() = %#v, want %#v", got, want)
		}
		if got, want := m.InitialTimers()[0].AfterMs, int64(1500); got != want {
			t.Errorf("timeout = %d ms, want %d", got, want)
		}
		if res := m.Process("a", "go", engine.Context{"limit": 1}); res.TargetState != "b" {
			t.Errorf("Process: %q %v", res.TargetState, res.Err())
		}
	})

	t.Run("a cyclic value is refused", func(t *testing.T) {
		cyclic := map[string]any{"name": "a"}
		cyclic["self"] = cyclic
		_, problems, err := engine.LoadMap(map[string]any{"states": []any{cyclic}, "transitions": []any{}})
		if err == nil || len(problems) != 1 || problems[0].Code != engine.CodeInvalidRoot {
			t.Errorf("LoadMap = %v %v, want invalid_root", err, problems)
		}
	})

	t.Run("strings that are not UTF-8 are read as given", func(t *testing.T) {
		// yaml.v3 encodes them as base64 !!binary; LoadMap must undo that
		doc := map[string]any{
			"meta":        map[string]any{"machine_name": "caf\xe9"},
			"states":      []any{map[string]any{"name": "a", "type": "initial"}},
			"transitions": []any{},
		}
		m, _, err := engine.LoadMap(doc)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Name(), "caf\xe9"; got != want {
			t.Errorf("Name() = %q, want %q", got, want)
		}
	})

	t.Run("problems have paths but no lines", func(t *testing.T) {
		doc["transitions"] = []any{map[string]any{"trigger": "go", "source": "a", "dest": "zzz"}}
		_, problems, err := engine.LoadMap(doc)
		if !errors.Is(err, engine.ErrInvalidMachine) {
			t.Fatalf("err = %v", err)
		}
		want := []where{errAt(engine.CodeUnknownState, "transitions[0].dest", 0, 0)}
		var got []where
		for _, p := range problems.Errors() {
			got = append(got, whereOf(p))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// TestJSONLoadsLikeYAML loads the same machine written in YAML and in JSON and
// compares the definitions and an answer.
func TestJSONLoadsLikeYAML(t *testing.T) {
	yamlText := `meta: {machine_name: same, version: "1.0.0", strict_mode: false}
state_variables: [{key: qty, type: number, default: 5}]
guards: {big: "qty > 10"}
states:
  - {name: a, type: initial, timeout: {seconds: 1.5, destination: b}, on_exit: [{name: audit, params: {level: info}}]}
  - {name: b, type: terminal}
transitions:
  - {trigger: go, source: [a], dest: b, guards: [big, {expr: "qty < 100"}], actions: [ship], note: kept}
`
	jsonText := `{
  "meta": {"machine_name": "same", "version": "1.0.0", "strict_mode": false},
  "state_variables": [{"key": "qty", "type": "number", "default": 5}],
  "guards": {"big": "qty > 10"},
  "states": [
    {"name": "a", "type": "initial", "timeout": {"seconds": 1.5, "destination": "b"}, "on_exit": [{"name": "audit", "params": {"level": "info"}}]},
    {"name": "b", "type": "terminal"}
  ],
  "transitions": [
    {"trigger": "go", "source": ["a"], "dest": "b", "guards": ["big", {"expr": "qty < 100"}], "actions": ["ship"], "note": "kept"}
  ]
}`
	fromYAML := mustLoad(t, yamlText)
	fromJSON := mustLoad(t, jsonText)
	if !reflect.DeepEqual(fromYAML.Definition(), fromJSON.Definition()) {
		t.Errorf("definitions differ:\nyaml: %+v\njson: %+v", fromYAML.Definition(), fromJSON.Definition())
	}
	ctx := engine.Context{"qty": 50}
	a, b := fromYAML.Process("a", "go", ctx), fromJSON.Process("a", "go", ctx)
	if a.TargetState != "b" || !reflect.DeepEqual(a.AllActions, b.AllActions) || a.TargetState != b.TargetState {
		t.Errorf("yaml: %q %v; json: %q %v", a.TargetState, a.AllActions, b.TargetState, b.AllActions)
	}
}

// TestYAMLFlowRoot checks that a YAML document written in flow style, which
// starts with "{" like JSON, is read as YAML.
func TestYAMLFlowRoot(t *testing.T) {
	m := mustLoad(t, "{meta: {machine_name: flow}, states: [{name: a, type: initial}, {name: b, type: terminal}],\n transitions: [{trigger: go, source: a, dest: b}]}\n")
	if res := m.Process("a", "go", nil); m.Name() != "flow" || res.TargetState != "b" {
		t.Errorf("name %q, target %q (%v)", m.Name(), res.TargetState, res.Err())
	}
	_, problems := engine.Check([]byte("{states: [{name: a, type: initial}], transitions: [}\n"))
	if len(problems) != 1 || problems[0].Code != engine.CodeSyntaxError || !strings.HasPrefix(problems[0].Message, "invalid YAML") {
		t.Errorf("a broken flow document: %v, want one YAML syntax error", problems)
	}
}

// TestCheck returns the partial definition and the problems without a machine.
func TestCheck(t *testing.T) {
	def, problems := engine.Check([]byte("meta: {machine_name: partial}\nstates:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: zzz}\n"))
	if def == nil || def.Meta.MachineName != "partial" {
		t.Fatalf("definition = %+v", def)
	}
	want := []where{errAt(engine.CodeUnknownState, "transitions[0].dest", 5, 36)}
	var got []where
	for _, p := range problems {
		got = append(got, whereOf(p))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
