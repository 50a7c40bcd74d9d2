package handlers

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/store"
)

// ShareStore is what the share handlers need of the store.
type ShareStore interface {
	CreateShare(ctx context.Context, yaml string, trace json.RawMessage) (*store.Share, error)
	GetShare(ctx context.Context, id string) (*store.Share, error)
}

// Shares serves /api/v1/shares.
type Shares struct {
	Store ShareStore
}

type shareRequest struct {
	YAML  *string         `json:"yaml"`
	Trace json.RawMessage `json:"trace"`
}

// Create answers POST /shares with {id, url}: an immutable short link. The
// text is stored as given (it may be invalid: a draft can be shared).
func (h *Shares) Create(c echo.Context) error {
	var req shareRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.YAML == nil {
		return BadRequest("yaml is required: the machine text to share")
	}
	if len(*req.YAML) > 512<<10 {
		return BadRequest("the machine text is %d bytes; the limit is %d", len(*req.YAML), 512<<10)
	}
	if len(req.Trace) > 0 && string(req.Trace) != "null" && req.Trace[0] != '{' && req.Trace[0] != '[' {
		return BadRequest("trace must be a JSON object or array")
	}
	sh, err := h.Store.CreateShare(c.Request().Context(), *req.YAML, req.Trace)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, map[string]string{"id": sh.ID, "url": c.Scheme() + "://" + c.Request().Host + "/s/" + sh.ID})
}

// Get answers GET /shares/{id}.
func (h *Shares) Get(c echo.Context) error {
	sh, err := h.Store.GetShare(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, sh)
}
