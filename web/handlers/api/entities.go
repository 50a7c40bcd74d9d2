package api

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
	History(ctx context.Context, entityID string, q store.HistoryQuery) (*store.HistoryPage, error)
}

// Entities serves /api/v1/entities.
type Entities struct {
	Store EntityStore
	// Actor names who makes a request (see Machines.Actor).
	Actor func(c echo.Context) string
}

func (h *Entities) actor(c echo.Context) string {
	if h.Actor == nil {
		return ""
	}
	return h.Actor(c)
}

type createEntityRequest struct {
	ID             string         `json:"id"`
	MachineID      string         `json:"machine_id"`
	MachineName    string         `json:"machine_name"`
	MachineVersion string         `json:"machine_version"`
	Context        engine.Context `json:"context"`
}

func (h *Entities) create(c echo.Context, req createEntityRequest) error {
	if err := checkContext("context", req.Context); err != nil {
		return err
	}
	e, err := h.Store.CreateEntity(c.Request().Context(), store.NewEntity{
		ID: req.ID, MachineID: req.MachineID, MachineName: req.MachineName, MachineVersion: req.MachineVersion,
		Context: req.Context, Actor: h.actor(c),
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/entities/"+e.ID)
	return writeJSON(c, http.StatusCreated, entityJSON(e))
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
	return writeJSON(c, http.StatusOK, entityJSON(e))
}

// intParam reads an optional whole-number query parameter within [lo, hi].
func intParam(c echo.Context, name string, lo, hi int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, store.Errorf(store.EINVALID, "%s must be a whole number from %d to %d, not %q", name, lo, hi, v)
	}
	return n, nil
}

// List answers GET /entities?machine_id=&state=&limit=&offset=.
func (h *Entities) List(c echo.Context) error {
	f := store.EntityFilter{MachineID: c.QueryParam("machine_id"), State: c.QueryParam("state")}
	var err error
	if f.Limit, err = intParam(c, "limit", 1, 1000); err != nil {
		return err
	}
	if f.Offset, err = intParam(c, "offset", 0, 1<<30); err != nil {
		return err
	}
	es, err := h.Store.ListEntities(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]EntityJSON, len(es))
	for i, e := range es {
		out[i] = entityJSON(e)
	}
	return writeJSON(c, http.StatusOK, map[string]any{"entities": out, "count": len(out)})
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
	if err := checkContext("payload", req.Payload); err != nil {
		return err
	}
	if k := c.Request().Header.Get("Idempotency-Key"); k != "" {
		if req.IdempotencyKey != "" && req.IdempotencyKey != k {
			return store.Errorf(store.EINVALID, "the Idempotency-Key header and idempotency_key differ")
		}
		req.IdempotencyKey = k
	}
	out, err := h.Store.SendEvent(c.Request().Context(), c.Param("id"), store.Event{
		Trigger: req.Trigger, Payload: req.Payload, IdempotencyKey: req.IdempotencyKey, GuardValues: req.GuardValues, Actor: h.actor(c),
	})
	if err != nil {
		return err
	}
	if out.Replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	return writeJSON(c, http.StatusOK, OutcomeJSON{Result: out.Result, Entity: entityJSON(out.Entity)})
}

// History answers GET /entities/{id}/history?after=&limit=: a page of the
// history, oldest first, with next_after for the next page (null at the end).
func (h *Entities) History(c echo.Context) error {
	var q store.HistoryQuery
	var err error
	if q.After, err = intParam(c, "after", 0, 1<<31-1); err != nil {
		return err
	}
	if q.Limit, err = intParam(c, "limit", 1, 1000); err != nil {
		return err
	}
	p, err := h.Store.History(c.Request().Context(), c.Param("id"), q)
	if err != nil {
		return err
	}
	out := HistoryJSON{Events: make([]HistoryEventJSON, len(p.Events))}
	for i, ev := range p.Events {
		out.Events[i] = historyEventJSON(ev)
	}
	if p.Next > 0 {
		out.NextAfter = &p.Next
	}
	return writeJSON(c, http.StatusOK, out)
}
