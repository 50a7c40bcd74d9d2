package pages

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/sim"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// EntitiesPanel answers GET /machines/{id}/entities?state=: the counts per
// state, the entities (in a state), and the form to create one.
func (h *Entities) EntitiesPanel(c echo.Context) error {
	v, err := h.entitiesView(c, c.Param("id"), c.QueryParam("state"))
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.EntitiesPanel(v))
}

func (h *Entities) entitiesView(c echo.Context, machineID, filter string) (templates.EntitiesView, error) {
	ctx := c.Request().Context()
	mach, err := h.Store.GetMachine(ctx, machineID)
	if err != nil {
		return templates.EntitiesView{}, err
	}
	m, err := h.Store.Compiled(ctx, mach.ID, mach.Revision)
	if err != nil {
		return templates.EntitiesView{}, err
	}
	st, err := h.Store.Stats(ctx, mach.ID)
	if err != nil {
		return templates.EntitiesView{}, err
	}
	v := templates.EntitiesView{MachineID: mach.ID, Total: st.Total, Live: st.Live, Filter: filter}
	seen := map[string]bool{}
	for _, name := range m.StateNames() {
		if n := st.Counts[name]; n > 0 {
			v.Counts = append(v.Counts, templates.StateCount{State: name, Count: n, Terminal: m.IsTerminal(name)})
			seen[name] = true
		}
	}
	for _, name := range sortedKeys(st.Counts) { // states of older revisions
		if !seen[name] {
			v.Counts = append(v.Counts, templates.StateCount{State: name, Count: st.Counts[name]})
		}
	}
	rows, err := h.Store.ListEntities(ctx, store.EntityFilter{MachineID: mach.ID, State: filter, Limit: 101})
	if err != nil {
		return v, err
	}
	if len(rows) > 100 {
		rows, v.More = rows[:100], true
	}
	now := h.Clock.Now()
	for _, e := range rows {
		em, err := h.Store.Compiled(ctx, e.MachineID, e.Revision)
		final := err == nil && em.IsTerminal(e.State)
		v.Rows = append(v.Rows, templates.EntityRow{ID: e.ID, State: e.State, Revision: e.Revision, Final: final,
			Updated: ago(now, e.UpdatedAt), UpdatedISO: e.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	defaults, _ := json.MarshalIndent(m.Definition().Defaults(), "", "  ")
	v.Context = string(defaults)
	v.Data = templates.EntitiesData{Counts: st.Counts}
	return v, nil
}

// CreateEntity answers POST /machines/{id}/entities (a form: id, context):
// the entity is created and the panel shows it.
func (h *Entities) CreateEntity(c echo.Context) error {
	machineID := c.Param("id")
	id := strings.TrimSpace(c.FormValue("id"))
	raw := strings.TrimSpace(c.FormValue("context"))
	fail := func(msg string) error {
		v, err := h.entitiesView(c, machineID, "")
		if err != nil {
			return err
		}
		v.Flash, v.Context = msg, raw
		return Render(c, http.StatusOK, templates.EntitiesPanel(v))
	}
	ctxVal := engine.Context{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &ctxVal); err != nil || ctxVal == nil {
			return fail("The context must be a JSON object, such as {\"order_qty\": 100}.")
		}
		if d := engine.ValueDepth(ctxVal); d > maxDepth {
			return fail(fmt.Sprintf("The context is nested %d levels deep; the limit is %d.", d, maxDepth))
		}
	}
	e, err := h.Store.CreateEntity(c.Request().Context(), store.NewEntity{ID: id, MachineID: machineID, Context: ctxVal, Actor: h.actor(c)})
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrTooLarge):
		return fail(store.ErrorMessage(err))
	case err != nil:
		return err
	}
	v, err := h.entitiesView(c, machineID, "")
	if err != nil {
		return err
	}
	v.Created = e.ID
	return Render(c, http.StatusOK, templates.EntitiesPanel(v))
}

// EntityPage answers GET /entities/{id}.
func (h *Entities) EntityPage(c echo.Context) error {
	ctx := c.Request().Context()
	e, err := h.Store.GetEntity(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	mach, err := h.Store.GetMachine(ctx, e.MachineID)
	if err != nil {
		return err
	}
	m, err := h.Store.Compiled(ctx, e.MachineID, e.Revision)
	if err != nil {
		return err
	}
	panel, err := h.entityPanel(c, e, m, nil)
	if err != nil {
		return err
	}
	d := m.MermaidDiagram(engine.DefaultDiagramOptions())
	v := templates.EntityPageView{ID: e.ID, MachineID: e.MachineID, MachineName: m.Name(), Version: m.Version(), Revision: e.Revision,
		Panel: panel, Data: templates.EntityPageData{Mermaid: d.Text, MermaidEdges: d.Edges, LatestRevision: mach.Revision}}
	return Render(c, http.StatusOK, templates.EntityPage(v))
}

func (h *Entities) entityPanel(c echo.Context, e *store.Entity, m *engine.Machine, f sim.Form) (templates.EntityPanelView, error) {
	now := h.Clock.Now()
	v := templates.EntityPanelView{ID: e.ID, State: e.State, Final: m.IsTerminal(e.State), Version: e.Version,
		EnteredAt: e.EnteredAt.UTC().Format("2006-01-02 15:04:05") + " UTC"}
	raw, _ := json.MarshalIndent(e.Context, "", "  ")
	v.Context = string(raw)
	v.Timers = entityTimers(e.Timers, now)
	v.Events = eventButtons(sim.CheckEvents(m, e.State, e.Context, engine.GuardValues{}, f, sim.DefaultLimits()), f)
	page, err := h.Store.History(c.Request().Context(), e.ID, store.HistoryQuery{Newest: true, Limit: 100})
	if err != nil {
		return v, err
	}
	for _, x := range page.Events { // newest first
		row := templates.HistoryRow{Seq: x.Seq, Trigger: x.Trigger, From: x.SourceState, To: x.TargetState, Success: x.Success,
			ByTimer: x.ByTimer, Actions: x.Actions, At: ago(now, x.At), AtISO: x.At.UTC().Format(time.RFC3339), Actor: x.Actor}
		if x.Error != nil {
			row.Error = x.Error.Message
		}
		if len(x.Payload) > 0 && x.Trigger != store.CreatedTrigger {
			row.Payload = compactJSON(x.Payload)
		}
		if x.Trigger == store.CreatedTrigger {
			row.Trigger = "created"
		}
		v.History = append(v.History, row)
	}
	ids, _ := m.Highlight(e.State)
	v.Data = templates.EntityData{State: e.State, Highlight: orEmptyStrings(ids)}
	return v, nil
}

// EntitySend answers POST /entities/{id}/send: op=event:<trigger> sends the
// event with its payload form; op=refresh re-renders (payload edits re-check
// the guards).
func (h *Entities) EntitySend(c echo.Context) error {
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return store.Errorf(store.EINVALID, "the form could not be read: %v", err)
	}
	e, err := h.Store.GetEntity(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	m, err := h.Store.Compiled(ctx, e.MachineID, e.Revision)
	if err != nil {
		return err
	}
	f := sim.Form(form)
	op := sim.ParseOperation(f)
	trigger := op.Arg
	var last string
	lastOK := false
	var flash string
	if op.Op == sim.OpEvent {
		payload, perr := sim.ReadPayload(m.Definition(), trigger, f, sim.DefaultLimits())
		if perr != nil {
			flash = sim.Message(perr)
		} else {
			out, err := h.Store.SendEvent(ctx, e.ID, store.Event{Trigger: trigger, Payload: payload, Actor: h.actor(c)})
			if err != nil {
				return err
			}
			e = out.Entity
			if out.Result.Success {
				lastOK = true
				last = fmt.Sprintf("%s: %s → %s", trigger, out.Result.SourceState, out.Result.TargetState)
				if len(out.Result.AllActions) > 0 {
					last += " / " + strings.Join(out.Result.AllActions, ", ")
				}
			} else {
				last = fmt.Sprintf("%s refused: %s", trigger, sim.Explain(m, &out.Result))
			}
			f = sim.Form{} // the payload was sent
		}
	}
	v, err := h.entityPanel(c, e, m, f)
	if err != nil {
		return err
	}
	v.Last, v.LastOK, v.Flash = last, lastOK, flash
	return Render(c, http.StatusOK, templates.EntityPanel(v))
}
