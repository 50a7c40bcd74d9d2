package pages

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/yamledit"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// workspaceData is handed to the page script.

// Workspace answers GET /machines/{id}.
func (h *Machines) Workspace(c echo.Context) error {
	m, err := h.Store.GetMachine(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	if r := c.QueryParam("revision"); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil || n < 1 {
			return store.Errorf(store.EINVALID, "revision must be a number from 1, not %q", r)
		}
		if n != m.Revision {
			return h.oldRevision(c, m, n)
		}
	}
	v := templates.WorkspaceView{
		Mode: "machine", MachineID: m.ID, Name: m.Name, Version: m.Version, Revision: m.Revision, YAML: m.YAML,
		Analysis: Analyze(m.YAML),
		Data:     templates.WorkspaceData{Mode: "machine", MachineID: m.ID, Revision: m.Revision, YAML: m.YAML},
	}
	if revs, err := h.Store.Revisions(c.Request().Context(), m.ID); err == nil && len(revs) > 0 && revs[0].Revision == m.Revision {
		v.Author = revs[0].Author
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}

// analysisData is what the page script applies after each validation.

// Analyze validates editor text and, when it loads, draws it: what the
// problems panel, the editor markers and the diagram show.
func Analyze(text string) templates.AnalysisView {
	m, problems, _ := engine.Load([]byte(text))
	data := templates.AnalysisData{Valid: m != nil, Problems: []templates.ProblemData{}}
	v := templates.AnalysisView{}
	for _, p := range problems {
		v.Problems = append(v.Problems, templates.ProblemView{Code: p.Code, Severity: string(p.Severity), Message: p.Message, Path: p.Path, Line: p.Line, Column: p.Column})
		data.Problems = append(data.Problems, templates.ProblemData{Line: p.Line, Column: p.Column, Severity: string(p.Severity), Message: p.Message, Code: p.Code})
		if p.IsError() {
			v.Errors++
		} else {
			v.Warnings++
		}
	}
	if m != nil {
		data.Name, data.Version = m.Name(), m.Version()
		d := m.MermaidDiagram(engine.DefaultDiagramOptions())
		data.Mermaid, data.MermaidEdges = d.Text, d.Edges
		data.Model = machineModel(m.Definition())
	}
	v.Data = data
	return v
}

// AnalyzeFragment answers POST /workspace/analyze (the editor text as a form).
func (h *Machines) AnalyzeFragment(c echo.Context) error {
	return Render(c, http.StatusOK, templates.Analysis(Analyze(formText(c, "yaml"))))
}

// Save answers POST /machines/{id}/save: the editor text becomes a new
// revision. An invalid text or a name clash is reported in the fragment (200,
// so that htmx shows it).
func (h *Machines) Save(c echo.Context) error {
	text := formText(c, "yaml")
	o := store.SaveOptions{Author: h.actor(c)}
	if b := c.FormValue("base_revision"); b != "" {
		n, err := strconv.Atoi(b)
		if err != nil || n < 1 {
			return store.Errorf(store.EINVALID, "base_revision must be a revision number, not %q", b)
		}
		o.BaseRevision = n
	}
	m, err := h.Store.SaveMachine(c.Request().Context(), c.Param("id"), text, o)
	var ve *engine.ValidationError
	switch {
	case errors.As(err, &ve):
		n := len(ve.Problems.Errors())
		return Render(c, http.StatusOK, templates.SaveStatus(false, fmt.Sprintf("Not saved: fix the %s listed under Problems first.", plural(n, "error"))))
	case errors.Is(err, store.ErrConflict):
		if se, moved := isHeadMoved(err); moved {
			return conflict(c, h.Store, c.Param("id"), text, se)
		}
		return Render(c, http.StatusOK, templates.SaveStatus(false, "Not saved: "+store.ErrorMessage(err)))
	case err != nil:
		return err
	}
	c.Response().Header().Set("HX-Trigger", fmt.Sprintf(`{"stator:saved": {"revision": %d, "name": %s, "version": %s}}`,
		m.Revision, yamledit.Quote(m.Name), yamledit.Quote(m.Version)))
	return Render(c, http.StatusOK, templates.SaveStatus(true, fmt.Sprintf("Saved revision %d.", m.Revision)))
}

// oldRevision shows a past revision read-only: its text, diagram and a
// simulator that runs on it; Fork copies it, the revisions panel restores it.
func (h *Machines) oldRevision(c echo.Context, head *store.Machine, n int) error {
	m, err := h.Store.MachineAt(c.Request().Context(), head.ID, n)
	if err != nil {
		return err
	}
	v := templates.WorkspaceView{
		Mode: "revision", MachineID: m.ID, Name: m.Name, Version: m.Version, Revision: m.Revision, Head: head.Revision, YAML: m.YAML,
		Analysis: Analyze(m.YAML),
		Data:     templates.WorkspaceData{Mode: "revision", MachineID: m.ID, Revision: m.Revision, YAML: m.YAML},
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}

// machineModel maps a definition to what the canvas and the editor's help
// need: states with what a hover card shows, transitions in their order
// (the index the diagram's data-transition carries), and the names that
// completion offers, each list in the order of first appearance.
func machineModel(def *engine.Definition) *templates.MachineModel {
	mm := &templates.MachineModel{
		States:      make([]templates.StateModel, 0, len(def.States)),
		Transitions: make([]templates.TransitionModel, 0, len(def.Transitions)),
		Triggers:    []string{}, Guards: []string{}, Actions: []string{}, Regions: []string{},
	}
	var triggers, guards, actions names
	compound := map[string]bool{}
	for _, s := range def.States {
		if s.Parent != "" {
			compound[s.Parent] = true
		}
	}
	for _, s := range def.States {
		sm := templates.StateModel{Name: s.Name, Type: s.Type, Parent: s.Parent, InitialChild: s.InitialChild,
			Description: s.Description, OnEnter: actions.addActions(s.OnEnter), OnExit: actions.addActions(s.OnExit),
			Compound: compound[s.Name] || len(s.Regions) > 0}
		if s.Timeout != nil {
			sm.Timeout = strconv.FormatFloat(s.Timeout.Seconds, 'f', -1, 64) + "s → " + s.Timeout.Destination
		}
		for _, r := range s.Regions {
			sm.Regions = append(sm.Regions, r.Name)
			mm.Regions = append(mm.Regions, r.Name)
		}
		mm.States = append(mm.States, sm)
	}
	for _, g := range def.Guards {
		guards.add(g.Name)
		if mm.GuardExprs == nil {
			mm.GuardExprs = map[string]string{}
		}
		mm.GuardExprs[g.Name] = g.Expr
	}
	for _, t := range def.Transitions {
		tm := templates.TransitionModel{Trigger: t.Trigger, Source: t.Source, Dest: t.Dest, Actions: actions.addActions(t.Actions),
			Region: t.Region, Description: t.Description}
		if !engine.IsSyntheticTrigger(t.Trigger) {
			triggers.add(t.Trigger)
		}
		for _, g := range t.Guards {
			if g.Name != "" {
				guards.add(g.Name)
			}
			tm.Guards = append(tm.Guards, g.Label())
		}
		if t.After != nil {
			tm.After = t.After.Raw
		}
		mm.Transitions = append(mm.Transitions, tm)
	}
	for _, e := range def.Events {
		triggers.add(e.Name)
	}
	mm.Triggers, mm.Guards, mm.Actions = triggers.list(), guards.list(), actions.list()
	return mm
}

// names collects distinct names in the order they first appear.
type names struct {
	seen  map[string]bool
	order []string
}

func (n *names) add(name string) {
	if name == "" || n.seen[name] {
		return
	}
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	n.seen[name] = true
	n.order = append(n.order, name)
}

// addActions adds the actions' names and returns them.
func (n *names) addActions(as []engine.Action) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		n.add(a.Name)
		out = append(out, a.Name)
	}
	return out
}

func (n *names) list() []string {
	if n.order == nil {
		return []string{}
	}
	return n.order
}
