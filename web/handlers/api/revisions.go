package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine/diff"
	"github.com/statorhq/stator/store"
)

// RevisionStore is what the revision handlers need of the store.
type RevisionStore interface {
	CompiledStore
	MachineAt(ctx context.Context, id string, rev int) (*store.Machine, error)
	RevisionList(ctx context.Context, id string) ([]store.Revision, error)
	Compare(ctx context.Context, id string, from, to int) (*store.Comparison, error)
	Restore(ctx context.Context, id string, rev int, o store.SaveOptions) (*store.Machine, error)
	Migrate(ctx context.Context, mg store.Migration) (*store.MigrationResult, error)
}

// Revisions serves a machine's revisions, their comparison, restore and
// the migration of entities between them (SPEC 6).
type Revisions struct {
	Store RevisionStore
	// Actor names who makes a request (see Machines.Actor).
	Actor func(c echo.Context) string
}

func (h *Revisions) actor(c echo.Context) string {
	if h.Actor == nil {
		return ""
	}
	return h.Actor(c)
}

// RevisionJSON is a row of GET /machines/{id}/revisions.
type RevisionJSON struct {
	Revision  int       `json:"revision"`
	CreatedAt time.Time `json:"created_at"`
	Author    string    `json:"author"`
	Hash      string    `json:"hash"`
	Summary   string    `json:"summary"`
	Entities  int       `json:"entities"`
}

// List answers GET /machines/{id}/revisions, newest first.
func (h *Revisions) List(c echo.Context) error {
	revs, err := h.Store.RevisionList(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]RevisionJSON, len(revs))
	for i, r := range revs {
		out[i] = RevisionJSON{Revision: r.Revision, CreatedAt: r.CreatedAt, Author: r.Author, Hash: r.Hash, Summary: r.Summary, Entities: r.Entities}
	}
	return writeJSON(c, http.StatusOK, map[string]any{"revisions": out})
}

// revisionParam reads a revision number from the path.
func revisionParam(c echo.Context, name string) (int, error) {
	v := c.Param(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, store.Errorf(store.EINVALID, "a revision is a number from 1, not %q", v)
	}
	return n, nil
}

// Get answers GET /machines/{id}/revisions/{n}: the machine as it was.
func (h *Revisions) Get(c echo.Context) error {
	n, err := revisionParam(c, "n")
	if err != nil {
		return err
	}
	m, err := h.Store.MachineAt(c.Request().Context(), c.Param("id"), n)
	if err != nil {
		return err
	}
	return respondMachine(c, h.Store, http.StatusOK, m)
}

// DiffJSON is the answer of GET /machines/{id}/diff.
type DiffJSON struct {
	From     int           `json:"from"`
	To       int           `json:"to"`
	Changes  []diff.Change `json:"changes"`
	TextDiff string        `json:"text_diff"`
}

// Diff answers GET /machines/{id}/diff?from=&to= (to defaults to the head,
// from to the revision before to).
func (h *Revisions) Diff(c echo.Context) error {
	ctx := c.Request().Context()
	head, err := h.Store.GetMachine(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	to, err := intParam(c, "to", 1, 1<<31-1)
	if err != nil {
		return err
	}
	if to == 0 {
		to = head.Revision
	}
	from, err := intParam(c, "from", 1, 1<<31-1)
	if err != nil {
		return err
	}
	if from == 0 {
		from = max(1, to-1)
	}
	cmp, err := h.Store.Compare(ctx, head.ID, from, to)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, DiffJSON{From: cmp.From, To: cmp.To, Changes: cmp.Changes, TextDiff: cmp.TextDiff})
}

type restoreRequest struct {
	BaseRevision int `json:"base_revision"`
}

// Restore answers POST /machines/{id}/revisions/{n}/restore: revision n's
// text becomes a new head revision.
func (h *Revisions) Restore(c echo.Context) error {
	n, err := revisionParam(c, "n")
	if err != nil {
		return err
	}
	var req restoreRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	m, err := h.Store.Restore(c.Request().Context(), c.Param("id"), n, store.SaveOptions{BaseRevision: req.BaseRevision, Author: h.actor(c)})
	if err != nil {
		return err
	}
	return respondMachine(c, h.Store, http.StatusOK, m)
}

type migrateRequest struct {
	ToRevision   int               `json:"to_revision"`
	FromRevision int               `json:"from_revision"`
	StateMap     map[string]string `json:"state_map"`
	DryRun       bool              `json:"dry_run"`
}

// MigrationJSON is the answer of POST /machines/{id}/migrate.
type MigrationJSON struct {
	DryRun       bool                      `json:"dry_run"`
	Moved        int                       `json:"moved"`
	ByState      map[string]map[string]int `json:"by_state"`
	Blocked      []BlockedJSON             `json:"blocked"`
	BlockedTotal int                       `json:"blocked_total"`
	Skipped      int                       `json:"skipped"`
}

// BlockedJSON is an entity a migration cannot move.
type BlockedJSON struct {
	EntityID string `json:"entity_id"`
	State    string `json:"state"`
	Reason   string `json:"reason"`
}

// Migrate answers POST /machines/{id}/migrate: a dry run says how many
// entities would move from each state to which and which are blocked;
// without dry_run they move.
func (h *Revisions) Migrate(c echo.Context) error {
	var req migrateRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := h.Store.Migrate(c.Request().Context(), store.Migration{MachineID: c.Param("id"), ToRevision: req.ToRevision,
		FromRevision: req.FromRevision, StateMap: req.StateMap, DryRun: req.DryRun, Actor: h.actor(c)})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, MigrationResultJSON(res))
}

// MigrationResultJSON is a migration's result as the API shows it.
func MigrationResultJSON(res *store.MigrationResult) MigrationJSON {
	out := MigrationJSON{DryRun: res.DryRun, Moved: res.Moved, ByState: res.ByState, Blocked: make([]BlockedJSON, len(res.Blocked)),
		BlockedTotal: res.BlockedTotal, Skipped: res.Skipped}
	for i, b := range res.Blocked {
		out.Blocked[i] = BlockedJSON{EntityID: b.EntityID, State: b.State, Reason: b.Reason}
	}
	return out
}
