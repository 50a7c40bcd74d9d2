package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
)

type renderRequest struct {
	machineSource
	Format      string `json:"format"`
	ActiveState string `json:"active_state"`
	Guards      *bool  `json:"guards"`
	Actions     *bool  `json:"actions"`
	Direction   string `json:"direction"`
}

// RenderResponse is the answer of POST /api/v1/render.
type RenderResponse struct {
	Format string `json:"format"`
	Source string `json:"source"`
	// Highlight lists the diagram node ids of the active states, when an
	// active_state was given (the page styles them after Mermaid renders).
	Highlight []string `json:"highlight,omitempty"`
}

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
		return BadRequest("format must be \"mermaid\" or \"dot\", not %q", req.Format)
	}
	m, err := load(c.Request().Context(), h.Store, req.machineSource)
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
		if err := m.ValidState(req.ActiveState); err != nil {
			return BadRequest("active_state: %v", err)
		}
		opts.Active = req.ActiveState
		if out.Highlight, err = m.Highlight(req.ActiveState); err != nil {
			return BadRequest("active_state: %v", err)
		}
	}
	if req.Format == "dot" {
		out.Source = m.DOT(opts)
	} else {
		out.Source = m.Mermaid(opts)
	}
	return writeJSON(c, http.StatusOK, out)
}
