package handlers

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// EntityStore is what the entity handlers need of the store.
type EntityStore interface {
	CreateEntity(ctx context.Context, ne store.NewEntity) (*store.Entity, error)
	GetEntity(ctx context.Context, id string) (*store.Entity, error)
	ListEntities(ctx context.Context, f store.EntityFilter) ([]*store.Entity, error)
	SendEvent(ctx context.Context, entityID string, ev store.Event) (*store.Outcome, error)
	History(ctx context.Context, entityID string) ([]store.HistoryEvent, error)
}

// Entities serves /api/v1/entities.
type Entities struct {
	Store EntityStore
}

type createEntityRequest struct {
	ID             string         `json:"id"`
	MachineID      string         `json:"machine_id"`
	MachineName    string         `json:"machine_name"`
	MachineVersion string         `json:"machine_version"`
	Context        engine.Context `json:"context"`
}

func (h *Entities) create(c echo.Context, req createEntityRequest) error {
	if req.MachineID == "" && req.MachineName == "" {
		return BadRequest("give machine_id or machine_name (with machine_version for a specific version)")
	}
	if req.MachineID != "" && req.MachineName != "" {
		return BadRequest("give machine_id or machine_name, not both")
	}
	if err := checkContext("context", req.Context); err != nil {
		return err
	}
	e, err := h.Store.CreateEntity(c.Request().Context(), store.NewEntity{
		ID: req.ID, MachineID: req.MachineID, MachineName: req.MachineName, MachineVersion: req.MachineVersion, Context: req.Context,
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/entities/"+e.ID)
	return writeJSON(c, http.StatusCreated, e)
}

// Create answers POST /entities: 201 with the entity, 409 if the id exists.
func (h *Entities) Create(c echo.Context) error {
	var req createEntityRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return h.create(c, req)
}

type createAtRequest struct {
	MachineName    string         `json:"machine_name"`
	MachineVersion string         `json:"machine_version"`
	MachineID      string         `json:"machine_id"`
	Context        engine.Context `json:"context"`
}

// CreateAt answers POST /entities/{id}/create, pystator's path.
func (h *Entities) CreateAt(c echo.Context) error {
	var req createAtRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	return h.create(c, createEntityRequest{ID: c.Param("id"), MachineID: req.MachineID, MachineName: req.MachineName,
		MachineVersion: req.MachineVersion, Context: req.Context})
}

// Get answers GET /entities/{id}.
func (h *Entities) Get(c echo.Context) error {
	e, err := h.Store.GetEntity(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, e)
}

// List answers GET /entities?machine_id=&state=&limit=&offset=.
func (h *Entities) List(c echo.Context) error {
	f := store.EntityFilter{MachineID: c.QueryParam("machine_id"), State: c.QueryParam("state")}
	var err error
	if v := c.QueryParam("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return BadRequest("limit must be a whole number from 1 to 1000, not %q", v)
		}
	}
	if v := c.QueryParam("offset"); v != "" {
		if f.Offset, err = strconv.Atoi(v); err != nil || f.Offset < 0 {
			return BadRequest("offset must be a whole number from 0, not %q", v)
		}
	}
	es, err := h.Store.ListEntities(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"entities": es, "count": len(es)})
}

type eventRequest struct {
	Trigger        string             `json:"trigger"`
	Payload        engine.Context     `json:"payload"`
	IdempotencyKey string             `json:"idempotency_key"`
	GuardValues    engine.GuardValues `json:"guard_values"`
}

// Event answers POST /entities/{id}/events with {result, entity}. A refused
// event is a 200 too: it is recorded in the history and its result says why.
// The idempotency key may also come in the Idempotency-Key header.
func (h *Entities) Event(c echo.Context) error {
	var req eventRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Trigger == "" {
		return BadRequest("trigger is required")
	}
	if err := checkContext("payload", req.Payload); err != nil {
		return err
	}
	if k := c.Request().Header.Get("Idempotency-Key"); k != "" {
		if req.IdempotencyKey != "" && req.IdempotencyKey != k {
			return BadRequest("the Idempotency-Key header and idempotency_key differ")
		}
		req.IdempotencyKey = k
	}
	if len(req.IdempotencyKey) > 256 {
		return BadRequest("idempotency_key is %d characters; the limit is 256", len(req.IdempotencyKey))
	}
	out, err := h.Store.SendEvent(c.Request().Context(), c.Param("id"), store.Event{
		Trigger: req.Trigger, Payload: req.Payload, IdempotencyKey: req.IdempotencyKey, GuardValues: req.GuardValues,
	})
	if err != nil {
		return err
	}
	if out.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return writeJSON(c, http.StatusOK, out)
}

// History answers GET /entities/{id}/history, oldest first.
func (h *Entities) History(c echo.Context) error {
	evs, err := h.Store.History(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"events": evs})
}
