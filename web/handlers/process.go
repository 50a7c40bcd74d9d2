package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
)

// Engine serves the stateless endpoints: /validate, /process and /render.
type Engine struct {
	Store CompiledStore
}

type validateRequest struct {
	machineSource
}

// ValidateResponse is the answer of POST /api/v1/validate.
type ValidateResponse struct {
	Valid    bool            `json:"valid"`
	Errors   engine.Problems `json:"errors"`
	Warnings engine.Problems `json:"warnings"`
	Info     MachineInfo     `json:"info"`
}

// Validate checks a machine definition and reports every problem with its
// line and column. An invalid machine is still a 200: the answer is the report.
func (h *Engine) Validate(c echo.Context) error {
	var req validateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.MachineID != "" {
		return BadRequest("validate takes yaml or config, not machine_id (stored machines are valid)")
	}
	text, fromConfig, err := req.text()
	if err != nil {
		return err
	}
	if req.YAML == nil && !req.hasConfig() {
		return BadRequest("give the machine to validate as yaml (its text) or config (an object)")
	}
	def, problems := engine.Check([]byte(text))
	if fromConfig {
		problems = stripPositions(problems)
	}
	return writeJSON(c, http.StatusOK, ValidateResponse{
		Valid: !problems.HasErrors(), Errors: problems.Errors(), Warnings: problems.Warnings(), Info: machineInfo(def),
	})
}

type processRequest struct {
	machineSource
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
	if req.Trigger == "" {
		return BadRequest("trigger is required")
	}
	if err := checkContext("context", req.Context); err != nil {
		return err
	}
	if err := checkContext("payload", req.Payload); err != nil {
		return err
	}
	m, err := load(c.Request().Context(), h.Store, req.machineSource)
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
	res := m.ProcessWith(state, req.Trigger, req.Context, engine.ProcessOptions{Payload: req.Payload, GuardValues: values})
	return writeJSON(c, http.StatusOK, res)
}
