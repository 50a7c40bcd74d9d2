// Package pages holds the page handlers of the web app (SPEC 7): the
// machines page, the workspace (editor, diagram, simulator, share, export),
// the entity pages and the API docs page. Each handler type takes the small
// store interface it needs; handlers read forms, call the engine or the
// store, and render templ components; errors go to the web package's one
// error handler, which answers htmx requests with a fragment.
package pages

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// MachineStore is what the machine pages need of the store.
type MachineStore interface {
	GetMachine(ctx context.Context, id string) (*store.Machine, error)
	FindMachine(ctx context.Context, name, version string) (*store.Machine, error)
	CreateMachineAs(ctx context.Context, text, author string) (*store.Machine, error)
	SaveMachine(ctx context.Context, id, text string, o store.SaveOptions) (*store.Machine, error)
	ListMachines(ctx context.Context) ([]store.MachineSummary, error)
	DeleteMachine(ctx context.Context, id string, cascade bool) error
	Revisions(ctx context.Context, id string) ([]store.RevisionInfo, error)
	MachineAt(ctx context.Context, id string, rev int) (*store.Machine, error)
}

// Machines serves the machines page and the workspace of a machine.
type Machines struct {
	Store     MachineStore
	Templates []Template
	Clock     engine.Clock
	// Actor names who makes a request ("" when there are no accounts).
	Actor func(c echo.Context) string
}

func (h *Machines) actor(c echo.Context) string {
	if h.Actor == nil {
		return ""
	}
	return h.Actor(c)
}

// ShareStore is what the share pages need of the store.
type ShareStore interface {
	CreateShare(ctx context.Context, yaml string, trace []byte) (*store.Share, error)
	GetShare(ctx context.Context, id string) (*store.Share, error)
}

// Shares serves share links and draft links.
type Shares struct {
	Store ShareStore
	// BaseURL is the address links are built on (SPEC 12.1).
	BaseURL func(c echo.Context) string
}

// EntityStore is what the entity pages need of the store.
type EntityStore interface {
	GetMachine(ctx context.Context, id string) (*store.Machine, error)
	Compiled(ctx context.Context, id string, rev int) (*engine.Machine, error)
	Stats(ctx context.Context, machineID string) (*store.MachineStats, error)
	CreateEntity(ctx context.Context, ne store.NewEntity) (*store.Entity, error)
	GetEntity(ctx context.Context, id string) (*store.Entity, error)
	ListEntities(ctx context.Context, f store.EntityFilter) ([]*store.Entity, error)
	SendEvent(ctx context.Context, entityID string, ev store.Event) (*store.Outcome, error)
	History(ctx context.Context, entityID string, q store.HistoryQuery) (*store.HistoryPage, error)
}

// Entities serves a machine's entities panel and the entity pages.
type Entities struct {
	Store EntityStore
	Clock engine.Clock
	// Actor names who makes a request ("" when there are no accounts).
	Actor func(c echo.Context) string
}

func (h *Entities) actor(c echo.Context) string {
	if h.Actor == nil {
		return ""
	}
	return h.Actor(c)
}
