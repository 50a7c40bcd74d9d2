package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine/sim"

	"github.com/statorhq/stator/store"
)

// ShareStore is what the share handlers need of the store.
type ShareStore interface {
	CreateShare(ctx context.Context, yaml string, trace []byte) (*store.Share, error)
	GetShare(ctx context.Context, id string) (*store.Share, error)
}

// Shares serves /api/v1/shares.
type Shares struct {
	Store ShareStore
	// BaseURL is the address links are built on (SPEC 12.1: --public-url,
	// else the request's own checked host).
	BaseURL func(c echo.Context) string
}

type shareRequest struct {
	YAML  *string         `json:"yaml"`
	Trace json.RawMessage `json:"trace"`
}

// Create answers POST /shares with {id, url}: an immutable short link. The
// text is stored as given (it may be invalid: a draft can be shared); the
// same content gives the same id.
func (h *Shares) Create(c echo.Context) error {
	var req shareRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.YAML == nil {
		return store.Errorf(store.EINVALID, "yaml is required: the machine text to share")
	}
	var trace []byte
	if len(req.Trace) > 0 && string(req.Trace) != "null" {
		t, err := sim.ParseTrace(req.Trace, sim.DefaultLimits())
		if err != nil {
			return &store.Error{Code: store.EINVALID, Message: "trace: " + sim.Message(err), Err: err}
		}
		if trace, err = json.Marshal(t); err != nil {
			return err
		}
	}
	sh, err := h.Store.CreateShare(c.Request().Context(), *req.YAML, trace)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, map[string]string{"id": sh.ID, "url": h.BaseURL(c) + "/s/" + sh.ID})
}

// Get answers GET /shares/{id}.
func (h *Shares) Get(c echo.Context) error {
	sh, err := h.Store.GetShare(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, ShareJSON{ID: sh.ID, YAML: sh.YAML, Trace: sh.Trace, CreatedAt: sh.CreatedAt})
}
