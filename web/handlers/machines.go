package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// MachineStore is what the machine handlers need of the store.
type MachineStore interface {
	CompiledStore
	CreateMachine(ctx context.Context, text string) (*store.Machine, error)
	UpdateMachine(ctx context.Context, id, text string) (*store.Machine, error)
	ListMachines(ctx context.Context) ([]store.MachineSummary, error)
	DeleteMachine(ctx context.Context, id string, cascade bool) error
	Stats(ctx context.Context, machineID string) (*store.MachineStats, error)
}

// Machines serves /api/v1/machines.
type Machines struct {
	Store MachineStore
}

// MachineJSON is a stored machine as the API shows it.
type MachineJSON struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Version     string          `json:"version"`
	Description string          `json:"description"`
	StrictMode  bool            `json:"strict_mode"`
	YAML        string          `json:"yaml"`
	Config      json.RawMessage `json:"config"`
	Revision    int             `json:"revision"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

func (h *Machines) machineJSON(ctx context.Context, m *store.Machine) (*MachineJSON, error) {
	cm, err := h.Store.Compiled(ctx, m.ID, m.Revision)
	if err != nil {
		return nil, err
	}
	cfg, err := yamlToJSON(m.YAML)
	if err != nil {
		return nil, err
	}
	return &MachineJSON{ID: m.ID, Name: m.Name, Version: m.Version, Description: m.Description, StrictMode: cm.StrictMode(),
		YAML: m.YAML, Config: cfg, Revision: m.Revision, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}, nil
}

// machineText reads the {yaml} or {config} body of a create or update.
func machineText(c echo.Context) (string, error) {
	var req machineSource
	if err := decodeJSON(c, &req); err != nil {
		return "", err
	}
	if req.MachineID != "" {
		return "", BadRequest("send the machine as yaml (its text) or config (an object), not machine_id")
	}
	text, fromConfig, err := req.text()
	if err != nil {
		return "", err
	}
	if text == "" {
		return "", BadRequest("send the machine as yaml (its text) or config (an object)")
	}
	if fromConfig {
		// validate the object as given, then store it as YAML text
		if _, problems, err := engine.Load([]byte(text)); err != nil {
			return "", InvalidMachine(stripPositions(problems))
		}
		return jsonToYAML(json.RawMessage(text))
	}
	return text, nil
}

func (h *Machines) respond(c echo.Context, status int, m *store.Machine) error {
	out, err := h.machineJSON(c.Request().Context(), m)
	if err != nil {
		return err
	}
	return writeJSON(c, status, out)
}

// List answers GET /machines.
func (h *Machines) List(c echo.Context) error {
	ms, err := h.Store.ListMachines(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, map[string]any{"machines": ms, "count": len(ms)})
}

// Create answers POST /machines: 201 with the machine, 400 with problems, 409
// when the name and version exist.
func (h *Machines) Create(c echo.Context) error {
	text, err := machineText(c)
	if err != nil {
		return err
	}
	m, err := h.Store.CreateMachine(c.Request().Context(), text)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/machines/"+m.ID)
	return h.respond(c, http.StatusCreated, m)
}

// Get answers GET /machines/{id}.
func (h *Machines) Get(c echo.Context) error {
	m, err := h.Store.GetMachine(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, m)
}

// Update answers PUT /machines/{id}: a new revision (running entities keep theirs).
func (h *Machines) Update(c echo.Context) error {
	text, err := machineText(c)
	if err != nil {
		return err
	}
	m, err := h.Store.UpdateMachine(c.Request().Context(), c.Param("id"), text)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, m)
}

// Delete answers DELETE /machines/{id}; ?cascade=true also deletes its entities.
func (h *Machines) Delete(c echo.Context) error {
	cascade := c.QueryParam("cascade") == "true"
	if err := h.Store.DeleteMachine(c.Request().Context(), c.Param("id"), cascade); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Stats answers GET /machines/{id}/stats: entity counts per state.
func (h *Machines) Stats(c echo.Context) error {
	st, err := h.Store.Stats(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, st)
}
