package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine/yamledit"
	"github.com/statorhq/stator/store"
)

// MachineStore is what the machine handlers need of the store.
type MachineStore interface {
	CompiledStore
	CreateMachineAs(ctx context.Context, text, author string) (*store.Machine, error)
	SaveMachine(ctx context.Context, id, text string, o store.SaveOptions) (*store.Machine, error)
	ListMachines(ctx context.Context) ([]store.MachineSummary, error)
	DeleteMachine(ctx context.Context, id string, cascade bool) error
	Stats(ctx context.Context, machineID string) (*store.MachineStats, error)
}

// Machines serves /api/v1/machines.
type Machines struct {
	Store MachineStore
	// Actor names who makes a request (a user, a token's label; "" when
	// there are no accounts).
	Actor func(c echo.Context) string
}

type machineRequest struct {
	YAML         *string         `json:"yaml"`
	Config       json.RawMessage `json:"config"`
	MachineID    string          `json:"machine_id"`
	BaseRevision int             `json:"base_revision"`
}

func (h *Machines) actor(c echo.Context) string {
	if h.Actor == nil {
		return ""
	}
	return h.Actor(c)
}

func machineJSON(ctx context.Context, st CompiledStore, m *store.Machine) (*MachineJSON, error) {
	cm, err := st.Compiled(ctx, m.ID, m.Revision)
	if err != nil {
		return nil, err
	}
	cfg, err := yamledit.ToJSON(m.YAML)
	if err != nil {
		return nil, err
	}
	return &MachineJSON{ID: m.ID, Name: m.Name, Version: m.Version, Description: m.Description, StrictMode: cm.StrictMode(),
		YAML: m.YAML, Config: cfg, Revision: m.Revision, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}, nil
}

func (h *Machines) respond(c echo.Context, status int, m *store.Machine) error {
	return respondMachine(c, h.Store, status, m)
}

// respondMachine writes a machine (at any revision) as the API shows it.
func respondMachine(c echo.Context, st CompiledStore, status int, m *store.Machine) error {
	out, err := machineJSON(c.Request().Context(), st, m)
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
	out := make([]MachineSummaryJSON, len(ms))
	for i, m := range ms {
		out[i] = machineSummaryJSON(m)
	}
	return writeJSON(c, http.StatusOK, map[string]any{"machines": out, "count": len(out)})
}

// Create answers POST /machines: 201 with the machine, 400 with problems, 409
// when the name and version exist.
func (h *Machines) Create(c echo.Context) error {
	var req machineRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.BaseRevision != 0 {
		return store.Errorf(store.EINVALID, "base_revision is for updates (PUT); a new machine has no revision yet")
	}
	text, err := machineText(source{YAML: req.YAML, Config: req.Config, MachineID: req.MachineID})
	if err != nil {
		return err
	}
	m, err := h.Store.CreateMachineAs(c.Request().Context(), text, h.actor(c))
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
	c.Response().Header().Set("ETag", strconv.Quote(strconv.Itoa(m.Revision)))
	return h.respond(c, http.StatusOK, m)
}

// Update answers PUT /machines/{id}: a new revision (running entities keep
// theirs). With base_revision (or If-Match: "<revision>") a save on a head
// that moved past it is refused with 409 and head_revision.
func (h *Machines) Update(c echo.Context) error {
	var req machineRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if im := c.Request().Header.Get("If-Match"); im != "" {
		n, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(strings.TrimSpace(im), "W/"), `"`))
		if err != nil || n < 1 {
			return store.Errorf(store.EINVALID, "If-Match must be a revision number in quotes, such as \"3\", not %s", im)
		}
		if req.BaseRevision != 0 && req.BaseRevision != n {
			return store.Errorf(store.EINVALID, "If-Match (%d) and base_revision (%d) differ", n, req.BaseRevision)
		}
		req.BaseRevision = n
	}
	if req.BaseRevision < 0 {
		return store.Errorf(store.EINVALID, "base_revision is a revision number from 1")
	}
	text, err := machineText(source{YAML: req.YAML, Config: req.Config, MachineID: req.MachineID})
	if err != nil {
		return err
	}
	m, err := h.Store.SaveMachine(c.Request().Context(), c.Param("id"), text, store.SaveOptions{BaseRevision: req.BaseRevision, Author: h.actor(c)})
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", strconv.Quote(strconv.Itoa(m.Revision)))
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
	return writeJSON(c, http.StatusOK, StatsJSON{MachineID: st.MachineID, Total: st.Total, Live: st.Live, Counts: st.Counts, ByState: st.ByState})
}
