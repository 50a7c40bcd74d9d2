package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// machineSource is how a request names a machine: its text, a config object,
// or a stored machine's id.
type machineSource struct {
	YAML      *string         `json:"yaml,omitempty"`
	Config    json.RawMessage `json:"config,omitempty"`
	MachineID string          `json:"machine_id,omitempty"`
}

func (s machineSource) hasConfig() bool {
	return len(s.Config) > 0 && string(s.Config) != "null"
}

// text returns the machine text of a yaml or config source.
func (s machineSource) text() (string, bool, error) {
	n := 0
	if s.YAML != nil {
		n++
	}
	if s.hasConfig() {
		n++
	}
	if s.MachineID != "" {
		n++
	}
	if n > 1 {
		return "", false, BadRequest("give only one of yaml, config and machine_id")
	}
	switch {
	case s.YAML != nil:
		return *s.YAML, false, nil
	case s.hasConfig():
		if s.Config[0] != '{' {
			return "", true, BadRequest("config must be a JSON object (the machine definition), not %s", string(s.Config[:min(len(s.Config), 20)]))
		}
		return string(s.Config), true, nil
	}
	return "", false, nil
}

// InvalidMachine is the 400 answer for a definition with errors; the problems
// (errors and warnings) are listed.
func InvalidMachine(problems engine.Problems) *HTTPError {
	errs := problems.Errors()
	detail := "the machine definition has errors"
	if len(errs) > 0 {
		detail = errs[0].Error()
		if len(errs) > 1 {
			detail += " (and more, see errors)"
		}
	}
	return &HTTPError{Status: http.StatusBadRequest, Title: "Invalid machine", Detail: detail, Errors: problemsOrEmpty(problems)}
}

func problemsOrEmpty(p engine.Problems) engine.Problems {
	if p == nil {
		return engine.Problems{}
	}
	return p
}

// stripPositions drops line and column from problems of a `config` object:
// they would point into the request body, not into anything the user wrote.
func stripPositions(ps engine.Problems) engine.Problems {
	out := make(engine.Problems, len(ps))
	for i, p := range ps {
		p.Line, p.Column = 0, 0
		out[i] = p
	}
	return out
}

// CompiledStore gives the compiled machine of a stored revision.
type CompiledStore interface {
	GetMachine(ctx context.Context, id string) (*store.Machine, error)
	Compiled(ctx context.Context, id string, rev int) (*engine.Machine, error)
}

// load compiles the machine a request names. Invalid text is a 400 listing
// every problem.
func load(ctx context.Context, st CompiledStore, src machineSource) (*engine.Machine, error) {
	text, fromConfig, err := src.text()
	if err != nil {
		return nil, err
	}
	if text == "" && src.MachineID != "" {
		m, err := st.GetMachine(ctx, src.MachineID)
		if err != nil {
			return nil, err
		}
		return st.Compiled(ctx, m.ID, m.Revision)
	}
	if text == "" && src.YAML == nil {
		return nil, BadRequest("name the machine: give yaml (its text), config (an object) or machine_id")
	}
	m, problems, err := engine.Load([]byte(text))
	if err != nil {
		if fromConfig {
			problems = stripPositions(problems)
		}
		if errors.Is(err, engine.ErrInvalidMachine) {
			return nil, InvalidMachine(problems)
		}
		return nil, err
	}
	return m, nil
}

// MachineInfo summarises a definition for /validate.
type MachineInfo struct {
	MachineName    string   `json:"machine_name"`
	Version        string   `json:"version"`
	InitialState   string   `json:"initial_state"`
	StateNames     []string `json:"state_names"`
	TriggerNames   []string `json:"trigger_names"`
	TerminalStates []string `json:"terminal_states"`
}

func machineInfo(def *engine.Definition) MachineInfo {
	info := MachineInfo{StateNames: []string{}, TriggerNames: []string{}, TerminalStates: []string{}}
	if def == nil {
		return info
	}
	info.MachineName, info.Version, info.InitialState = def.Meta.MachineName, def.Meta.Version, def.InitialState()
	seen := map[string]bool{}
	for _, s := range def.States {
		info.StateNames = append(info.StateNames, s.Name)
		if s.Type == engine.StateTerminal {
			info.TerminalStates = append(info.TerminalStates, s.Name)
		}
	}
	for _, t := range def.Transitions {
		if t.Trigger != "" && !seen[t.Trigger] {
			seen[t.Trigger] = true
			info.TriggerNames = append(info.TriggerNames, t.Trigger)
		}
	}
	sort.Strings(info.TriggerNames)
	return info
}
