package pages

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/diff"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// RevisionStore is what the revision pages need of the store.
type RevisionStore interface {
	GetMachine(ctx context.Context, id string) (*store.Machine, error)
	MachineAt(ctx context.Context, id string, rev int) (*store.Machine, error)
	Compiled(ctx context.Context, id string, rev int) (*engine.Machine, error)
	RevisionList(ctx context.Context, id string) ([]store.Revision, error)
	Compare(ctx context.Context, id string, from, to int) (*store.Comparison, error)
	Restore(ctx context.Context, id string, rev int, o store.SaveOptions) (*store.Machine, error)
	Migrate(ctx context.Context, mg store.Migration) (*store.MigrationResult, error)
	Stats(ctx context.Context, machineID string) (*store.MachineStats, error)
}

// Revisions serves the revisions panel, comparisons, restores and the page
// that moves entities between revisions (SPEC 7.1).
type Revisions struct {
	Store RevisionStore
	Clock engine.Clock
	// Actor names who makes a request ("" when there are no accounts).
	Actor func(c echo.Context) string
}

func (h *Revisions) actor(c echo.Context) string {
	if h.Actor == nil {
		return ""
	}
	return h.Actor(c)
}

func (h *Revisions) rows(ctx context.Context, id string) ([]templates.RevisionRow, int, int, error) {
	revs, err := h.Store.RevisionList(ctx, id)
	if err != nil {
		return nil, 0, 0, err
	}
	now := h.Clock.Now()
	head, others := 0, 0
	out := make([]templates.RevisionRow, len(revs))
	for i, r := range revs {
		if i == 0 {
			head = r.Revision
		} else {
			others += r.Entities
		}
		out[i] = templates.RevisionRow{Revision: r.Revision, Author: r.Author, When: ago(now, r.CreatedAt),
			WhenISO: r.CreatedAt.UTC().Format(time.RFC3339), Summary: r.Summary, Entities: r.Entities, IsHead: i == 0}
	}
	return out, head, others, nil
}

// Panel answers GET /machines/{id}/revisions: the revisions panel.
func (h *Revisions) Panel(c echo.Context) error {
	id := c.Param("id")
	rows, head, others, err := h.rows(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.RevisionsPanel(templates.RevisionsView{MachineID: id, Head: head, Rows: rows, Others: others}))
}

// diffLines turns a unified diff into lines for the page.
func diffLines(text string) []templates.DiffLine {
	var out []templates.DiffLine
	for _, l := range strings.SplitAfter(text, "\n") {
		if l == "" {
			continue
		}
		kind := l[:1]
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
			continue // the file names: the page says which revisions
		case kind == "@":
		case kind != "+" && kind != "-":
			kind = " "
		}
		out = append(out, templates.DiffLine{Kind: kind, Text: l})
	}
	return out
}

// Compare answers GET /machines/{id}/compare?from=&to=: what changed, with
// the later revision's diagram coloured by change.
func (h *Revisions) Compare(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	from, err := strconv.Atoi(c.QueryParam("from"))
	if err != nil {
		return store.Errorf(store.EINVALID, "from must be a revision number")
	}
	to, err := strconv.Atoi(c.QueryParam("to"))
	if err != nil {
		return store.Errorf(store.EINVALID, "to must be a revision number")
	}
	cmp, err := h.Store.Compare(ctx, id, from, to)
	if err != nil {
		return err
	}
	later, err := h.Store.Compiled(ctx, id, to)
	if err != nil {
		return err
	}
	v := templates.CompareView{MachineID: id, From: from, To: to, Diff: diffLines(cmp.TextDiff),
		Data: templates.CompareData{Mermaid: later.Mermaid(engine.DefaultDiagramOptions()), Added: []string{}, Changed: []string{}, Removed: []string{}}}
	for _, ch := range cmp.Changes {
		v.Changes = append(v.Changes, templates.ChangeRow{Kind: string(ch.Kind), Name: ch.Name, Detail: ch.Detail})
		switch ch.Kind {
		case diff.StateAdded:
			v.Data.Added = append(v.Data.Added, ch.Name)
		case diff.StateChanged:
			v.Data.Changed = append(v.Data.Changed, ch.Name)
		case diff.StateRemoved:
			v.Data.Removed = append(v.Data.Removed, ch.Name)
		}
	}
	return Render(c, http.StatusOK, templates.Compare(v))
}

// Restore answers POST /machines/{id}/revisions/{n}/restore (a form with
// base_revision): the revision becomes the new head and the page reloads
// on it.
func (h *Revisions) Restore(c echo.Context) error {
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 {
		return store.Errorf(store.EINVALID, "a revision is a number from 1, not %q", c.Param("n"))
	}
	base, _ := strconv.Atoi(c.FormValue("base_revision"))
	m, err := h.Store.Restore(c.Request().Context(), c.Param("id"), n, store.SaveOptions{BaseRevision: base, Author: h.actor(c)})
	if err != nil {
		return err
	}
	c.Response().Header().Set("HX-Redirect", "/machines/"+m.ID)
	return Render(c, http.StatusOK, templates.RestoreResult(m.Revision))
}

// conflict renders the dialog for a save that found the head moved: the
// difference between the head's text and the one being saved.
func conflict(c echo.Context, st MachineStore, id, mine string, se *store.Error) error {
	head, err := st.GetMachine(c.Request().Context(), id)
	if err != nil {
		return err
	}
	base, _ := se.Fields["base_revision"].(int)
	v := templates.ConflictView{MachineID: id, Head: head.Revision, Base: base, HeadYAML: head.YAML,
		Diff: diffLines(diff.Text("theirs", "yours", head.YAML, mine))}
	return Render(c, http.StatusOK, templates.Conflict(v))
}

// MigratePage answers GET /machines/{id}/migrate.
func (h *Revisions) MigratePage(c echo.Context) error {
	ctx := c.Request().Context()
	m, err := h.Store.GetMachine(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	rows, head, _, err := h.rows(ctx, m.ID)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.MigratePage(templates.MigrateView{MachineID: m.ID, Name: m.Name, Head: head, Revisions: rows}))
}

// Migrate answers POST /machines/{id}/migrate (the page's form: to_revision,
// from_revision, dry_run, map.<state>): a dry run or the migration.
func (h *Revisions) Migrate(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	to, err := strconv.Atoi(c.FormValue("to_revision"))
	if err != nil {
		return store.Errorf(store.EINVALID, "choose the revision to move the entities to")
	}
	from, _ := strconv.Atoi(c.FormValue("from_revision"))
	form, err := c.FormParams()
	if err != nil {
		return &store.Error{Code: store.EINVALID, Message: "the form could not be read", Err: err}
	}
	stateMap := map[string]string{}
	for k, vals := range form {
		if name, ok := strings.CutPrefix(k, "map."); ok && len(vals) > 0 && vals[0] != "" {
			stateMap[name] = vals[0]
		}
	}
	dry := c.FormValue("dry_run") != "false"
	res, err := h.Store.Migrate(ctx, store.Migration{MachineID: id, ToRevision: to, FromRevision: from, StateMap: stateMap, DryRun: dry, Actor: h.actor(c)})
	if err != nil {
		return err
	}
	target, err := h.Store.Compiled(ctx, id, to)
	if err != nil {
		return err
	}
	v := templates.MigrateResultView{MachineID: id, DryRun: dry, To: to, From: from, Moved: res.Moved, Skipped: res.Skipped,
		BlockedTotal: res.BlockedTotal, Targets: target.StateNames(), StateMap: stateMap}
	for fromState, tos := range res.ByState {
		for toState, n := range tos {
			v.Moves = append(v.Moves, templates.MoveRow{From: fromState, To: toState, Count: n})
		}
	}
	sort.Slice(v.Moves, func(i, j int) bool {
		if v.Moves[i].From != v.Moves[j].From {
			return v.Moves[i].From < v.Moves[j].From
		}
		return v.Moves[i].To < v.Moves[j].To
	})
	unmapped := map[string]bool{}
	for _, b := range res.Blocked {
		v.Blocked = append(v.Blocked, templates.BlockedRow{EntityID: b.EntityID, State: b.State, Reason: b.Reason})
		if !target.HasState(b.State) && !strings.Contains(b.State, ":") {
			unmapped[b.State] = true
		}
	}
	for s := range stateMap {
		unmapped[s] = true // keep the choices made
	}
	v.Unmapped = sortedKeys(unmapped)
	return Render(c, http.StatusOK, templates.MigrateResult(v))
}

// MigrateProgress answers GET /machines/{id}/migrate/progress?to=N: how many
// of the machine's entities are on revision N (the page polls it while a
// migration runs).
func (h *Revisions) MigrateProgress(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	to, err := strconv.Atoi(c.QueryParam("to"))
	if err != nil {
		return store.Errorf(store.EINVALID, "to must be a revision number")
	}
	revs, err := h.Store.RevisionList(ctx, id)
	if err != nil {
		return err
	}
	var p templates.MigrationProgress
	for _, r := range revs {
		p.Total += r.Entities
		if r.Revision == to {
			p.On = r.Entities
		}
	}
	return Render(c, http.StatusOK, templates.MigrateProgress(p))
}

// isHeadMoved tells a save refused because the head moved from other
// conflicts (a name and version clash).
func isHeadMoved(err error) (*store.Error, bool) {
	var se *store.Error
	if errors.As(err, &se) && se.Code == store.ECONFLICT && se.Fields["head_revision"] != nil {
		return se, true
	}
	return nil, false
}
