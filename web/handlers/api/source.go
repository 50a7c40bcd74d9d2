package api

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/yamledit"
	"github.com/statorhq/stator/store"
)

// source is how a request names a machine: its text (yaml), a definition
// object (config), or a stored machine's id. Each request type lists these
// fields itself (no embedding), so that messages name JSON fields only.
type source struct {
	YAML      *string
	Config    json.RawMessage
	MachineID string
}

func (s source) hasConfig() bool {
	return len(s.Config) > 0 && string(s.Config) != "null"
}

// text returns the machine text of a yaml or config source; fromConfig says
// which. It is "" for a machine_id source.
func (s source) text() (text string, fromConfig bool, err error) {
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
		return "", false, store.Errorf(store.EINVALID, "give only one of yaml, config and machine_id")
	}
	switch {
	case s.YAML != nil:
		return *s.YAML, false, nil
	case s.hasConfig():
		if s.Config[0] != '{' {
			return "", true, store.Errorf(store.EINVALID, "config must be a JSON object (the machine definition), not %s", clip(string(s.Config), 20))
		}
		return string(s.Config), true, nil
	}
	return "", false, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// invalid is the error of a definition with problems; problems of a config
// object lose their line and column, which would point into the request
// body rather than into anything the user wrote.
func invalid(problems engine.Problems, fromConfig bool) error {
	if fromConfig {
		out := make(engine.Problems, len(problems))
		for i, p := range problems {
			p.Line, p.Column = 0, 0
			out[i] = p
		}
		problems = out
	}
	return &engine.ValidationError{Problems: problems}
}

// CompiledStore gives the compiled machine of a stored revision.
type CompiledStore interface {
	GetMachine(ctx context.Context, id string) (*store.Machine, error)
	Compiled(ctx context.Context, id string, rev int) (*engine.Machine, error)
}

// load compiles the machine a request names. Invalid text is a 400 listing
// every problem.
func load(ctx context.Context, st CompiledStore, src source) (*engine.Machine, error) {
	text, fromConfig, err := src.text()
	if err != nil {
		return nil, err
	}
	if src.MachineID != "" {
		m, err := st.GetMachine(ctx, src.MachineID)
		if err != nil {
			return nil, err
		}
		return st.Compiled(ctx, m.ID, m.Revision)
	}
	if src.YAML == nil && !fromConfig {
		return nil, store.Errorf(store.EINVALID, "name the machine: give yaml (its text), config (an object) or machine_id")
	}
	m, problems, err := engine.Load([]byte(text))
	if errors.Is(err, engine.ErrInvalidMachine) {
		return nil, invalid(problems, fromConfig)
	}
	return m, err
}

// machineText reads the machine of a create or update: yaml or config (as
// YAML text, converted from the object), not machine_id.
func machineText(src source) (string, error) {
	if src.MachineID != "" {
		return "", store.Errorf(store.EINVALID, "send the machine as yaml (its text) or config (an object), not machine_id")
	}
	text, fromConfig, err := src.text()
	if err != nil {
		return "", err
	}
	if src.YAML == nil && !fromConfig {
		return "", store.Errorf(store.EINVALID, "send the machine as yaml (its text) or config (an object)")
	}
	if !fromConfig {
		return text, nil
	}
	// validate the object as given, then store it as YAML text
	if _, problems, err := engine.Load([]byte(text)); err != nil {
		return "", invalid(problems, true)
	}
	return yamledit.FromJSON(json.RawMessage(text))
}
