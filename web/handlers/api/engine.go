package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// Engine serves the stateless endpoints: /validate, /process and /render.
type Engine struct {
	Store CompiledStore
}

type validateRequest struct {
	YAML   *string         `json:"yaml"`
	Config json.RawMessage `json:"config"`
}

// ValidateResponse is the answer of POST /api/v1/validate.
type ValidateResponse struct {
	Valid    bool            `json:"valid"`
	Errors   engine.Problems `json:"errors"`
	Warnings engine.Problems `json:"warnings"`
	Info     MachineInfo     `json:"info"`
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

// Validate checks a machine definition and reports every problem with its
// line and column. An invalid machine is still a 200: the answer is the report.
func (h *Engine) Validate(c echo.Context) error {
	var req validateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	src := source{YAML: req.YAML, Config: req.Config}
	text, fromConfig, err := src.text()
	if err != nil {
		return err
	}
	if req.YAML == nil && !fromConfig {
		return store.Errorf(store.EINVALID, "give the machine to validate as yaml (its text) or config (an object)")
	}
	def, problems := engine.Check([]byte(text))
	if fromConfig {
		problems = invalid(problems, true).(*engine.ValidationError).Problems
	}
	if problems == nil {
		problems = engine.Problems{}
	}
	return writeJSON(c, http.StatusOK, ValidateResponse{
		Valid: !problems.HasErrors(), Errors: problems.Errors(), Warnings: problems.Warnings(), Info: machineInfo(def),
	})
}

type processRequest struct {
	YAML         *string            `json:"yaml"`
	Config       json.RawMessage    `json:"config"`
	MachineID    string             `json:"machine_id"`
	CurrentState string             `json:"current_state"`
	Trigger      string             `json:"trigger"`
	Context      engine.Context     `json:"context"`
	Payload      engine.Context     `json:"payload"`
	GuardValues  engine.GuardValues `json:"guard_values"`
}

// Process answers process(current_state, trigger, context) for a machine given
// inline or by id. Unbound guards take the request's guard_values, true for
// names not given (as pystator's API does). A refused event is a 200 whose
// result says why.
func (h *Engine) Process(c echo.Context) error {
	var req processRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	src := source{YAML: req.YAML, Config: req.Config, MachineID: req.MachineID}
	if _, _, err := src.text(); err != nil {
		return err
	}
	if req.Trigger == "" {
		return store.Errorf(store.EINVALID, "trigger is required: the name of the event to process")
	}
	if err := checkContext("context", req.Context); err != nil {
		return err
	}
	if err := checkContext("payload", req.Payload); err != nil {
		return err
	}
	m, err := load(c.Request().Context(), h.Store, src)
	if err != nil {
		return err
	}
	state := req.CurrentState
	if state == "" {
		state = m.InitialState()
	}
	values := req.GuardValues
	if values == nil {
		values = engine.GuardValues{}
	}
	res := m.ProcessWith(state, req.Trigger, req.Context, engine.ProcessOptions{Payload: req.Payload, GuardValues: values, Done: c.Request().Context().Done()})
	if err := c.Request().Context().Err(); err != nil {
		return err // the client is gone
	}
	return writeJSON(c, http.StatusOK, res)
}

type renderRequest struct {
	YAML        *string         `json:"yaml"`
	Config      json.RawMessage `json:"config"`
	MachineID   string          `json:"machine_id"`
	Format      string          `json:"format"`
	ActiveState string          `json:"active_state"`
	Guards      *bool           `json:"guards"`
	Actions     *bool           `json:"actions"`
	Direction   string          `json:"direction"`
}

// RenderResponse is the answer of POST /api/v1/render.
type RenderResponse struct {
	Format string `json:"format"`
	Source string `json:"source"`
	// Highlight lists the diagram node ids of the active states, when an
	// active_state was given (the page styles them after Mermaid renders).
	Highlight []string `json:"highlight,omitempty"`
}

// directions are the layout directions a diagram takes.
var directions = []string{"TB", "BT", "LR", "RL"}

// Render draws a machine as Mermaid (default) or DOT.
func (h *Engine) Render(c echo.Context) error {
	var req renderRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Format == "" {
		req.Format = "mermaid"
	}
	if req.Format != "mermaid" && req.Format != "dot" {
		return store.Errorf(store.EINVALID, "format must be \"mermaid\" or \"dot\", not %q", req.Format)
	}
	if d := strings.ToUpper(strings.TrimSpace(req.Direction)); d != "" && !slices.Contains(directions, d) {
		return store.Errorf(store.EINVALID, "direction must be one of %s, not %q", strings.Join(directions, ", "), req.Direction)
	}
	m, err := load(c.Request().Context(), h.Store, source{YAML: req.YAML, Config: req.Config, MachineID: req.MachineID})
	if err != nil {
		return err
	}
	opts := engine.DefaultDiagramOptions()
	if req.Guards != nil {
		opts.Guards = *req.Guards
	}
	if req.Actions != nil {
		opts.Actions = *req.Actions
	}
	opts.Direction = req.Direction
	out := RenderResponse{Format: req.Format}
	if req.ActiveState != "" {
		ids, err := m.Highlight(req.ActiveState)
		if err != nil {
			return &store.Error{Code: store.EINVALID, Message: fmt.Sprintf("active_state %q is not a state or configuration of this machine", req.ActiveState), Err: err}
		}
		opts.Active, out.Highlight = req.ActiveState, ids
	}
	if req.Format == "dot" {
		out.Source = m.DOT(opts)
	} else {
		out.Source = m.Mermaid(opts)
	}
	return writeJSON(c, http.StatusOK, out)
}
