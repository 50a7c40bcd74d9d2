package pages

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/yamledit"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// Template is a starting point offered by "New machine".
type Template struct {
	Name        string // example file name
	YAML        string
	Description string // meta.description, shown by "New machine"
}

// blankMachine is the "Blank" template.
const blankMachine = `meta:

  machine_name: untitled
  version: "0.1.0"
  description: "A new machine"
states:
  - {name: idle, type: initial}
  - {name: done, type: terminal}
transitions:
  - {trigger: finish, source: idle, dest: done}
`

// List answers GET /: the machines.
func (h *Machines) List(c echo.Context) error {
	return h.list(c, http.StatusOK, "")
}

// list renders the machines page, with a message when an action on it was
// refused.
func (h *Machines) list(c echo.Context, status int, refusal string) error {
	ms, err := h.Store.ListMachines(c.Request().Context())
	if err != nil {
		return err
	}
	v := templates.MachineListView{Templates: h.templateOptions(), Error: refusal}
	now := h.Clock.Now()
	for _, m := range ms {
		v.Machines = append(v.Machines, templates.MachineRow{
			ID: m.ID, Name: m.Name, Version: m.Version, Description: m.Description, Revision: m.Revision,
			Updated: ago(now, m.UpdatedAt), UpdatedISO: m.UpdatedAt.UTC().Format(time.RFC3339),
			Entities: m.Entities, Live: m.LiveEntities,
		})
	}
	return Render(c, status, templates.MachinesPage(v))
}

func (h *Machines) templateOptions() []templates.TemplateOption {
	out := []templates.TemplateOption{{Value: "blank", Label: "Blank", Description: "An initial and a terminal state"}}
	for _, t := range h.Templates {
		out = append(out, templates.TemplateOption{Value: t.Name, Label: strings.ReplaceAll(t.Name, "_", " "), Description: t.Description})
	}
	return out
}

// Create answers POST /machines (a form): a new machine from a template, or
// from posted text (fork of a share or a draft), then opens it.
func (h *Machines) Create(c echo.Context) error {
	text := formText(c, "yaml")
	fork := c.FormValue("fork") == "true"
	if strings.TrimSpace(text) == "" && fork {
		// a fork of a draft link that held nothing would be a blank machine
		return store.Errorf(store.EINVALID, "there is nothing to fork: the machine text is empty")
	}
	if text == "" {
		t, err := h.templateText(c.FormValue("template"))
		if err != nil {
			return err
		}
		text = t
	}
	suffix := "copy"
	if fork {
		suffix = "fork"
	}
	m, err := h.createUnique(c.Request().Context(), text, suffix, h.actor(c))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/machines/"+m.ID)
}

// templateText is the text of a template offered by "New machine" ("" and
// "blank" are the blank machine).
func (h *Machines) templateText(name string) (string, error) {
	if name == "" || name == "blank" {
		return blankMachine, nil
	}
	for _, t := range h.Templates {
		if t.Name == name {
			return t.YAML, nil
		}
	}
	return "", store.Errorf(store.EINVALID, "there is no template %q", name)
}

// New answers GET /new?template=NAME: a workspace on the template's text
// that is stored only when it is saved, so that an abandoned "New" leaves
// nothing behind. The machine is renamed (name_copy, ...) when the
// template's name is taken, before the person sees it.
func (h *Machines) New(c echo.Context) error {
	tpl := c.QueryParam("template")
	if tpl == "" {
		tpl = "blank"
	}
	text, err := h.templateText(tpl)
	if err != nil {
		return err
	}
	text, err = h.uniqueText(c.Request().Context(), text, "copy")
	if err != nil {
		return err
	}
	name, version := "untitled", ""
	if m, _, err := engine.Load([]byte(text)); err == nil {
		name, version = m.Name(), m.Version()
	}
	v := templates.WorkspaceView{
		Mode: "new", Name: name, Version: version, YAML: text, Analysis: Analyze(text),
		Data: templates.WorkspaceData{Mode: "new", Template: tpl, YAML: text},
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}

// SaveNew answers POST /new, the first save of a new workspace: the text
// becomes a stored machine (renamed when its name is taken) and the page is
// told where it now lives (the stator:created event carries its URL). An
// invalid text is reported in the fragment, as Save does.
func (h *Machines) SaveNew(c echo.Context) error {
	text := formText(c, "yaml")
	if _, problems, err := engine.Load([]byte(text)); errors.Is(err, engine.ErrInvalidMachine) {
		return Render(c, http.StatusOK, templates.SaveStatus(false, fmt.Sprintf("Not saved: fix the %s listed under Problems first.", plural(len(problems.Errors()), "error"))))
	}
	m, err := h.createUnique(c.Request().Context(), text, "copy", h.actor(c))
	if err != nil {
		return err
	}
	c.Response().Header().Set("HX-Trigger", fmt.Sprintf(`{"stator:created": {"url": %s}}`, yamledit.Quote("/machines/"+m.ID)))
	return Render(c, http.StatusOK, templates.SaveStatus(true, fmt.Sprintf("Saved revision %d.", m.Revision)))
}

// createUnique stores text as a new machine, renaming it (name_copy,
// name_copy_2, ...) when its name and version are taken.
func (h *Machines) createUnique(ctx context.Context, text, suffix, author string) (*store.Machine, error) {
	text, err := h.uniqueText(ctx, text, suffix)
	if err != nil {
		return nil, err
	}
	return h.Store.CreateMachineAs(ctx, text, author)
}

// uniqueText is text with the machine renamed (name_suffix, name_suffix_2,
// ...) when a stored machine has its name and version.
func (h *Machines) uniqueText(ctx context.Context, text, suffix string) (string, error) {
	em, problems, err := engine.Load([]byte(text))
	if err != nil {
		if errors.Is(err, engine.ErrInvalidMachine) {
			return "", &engine.ValidationError{Problems: problems}
		}
		return "", err
	}
	name := em.Name()
	for i := 1; i <= 100; i++ {
		if _, err := h.Store.FindMachine(ctx, name, em.Version()); errors.Is(err, store.ErrNotFound) {
			break
		} else if err != nil {
			return "", err
		}
		name = em.Name() + "_" + suffix
		if i > 1 {
			name += "_" + strconv.Itoa(i)
		}
	}
	if name != em.Name() {
		text = yamledit.RenameMachine(text, name)
	}
	return text, nil
}

// Fork answers POST /machines/{id}/fork: a copy of the machine (or of the
// posted editor text) under a new name.
func (h *Machines) Fork(c echo.Context) error {
	ctx := c.Request().Context()
	text := formText(c, "yaml")
	if text == "" {
		m, err := h.Store.GetMachine(ctx, c.Param("id"))
		if err != nil {
			return err
		}
		text = m.YAML
	}
	m, err := h.createUnique(ctx, text, "fork", h.actor(c))
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/machines/"+m.ID)
}

// Delete answers POST /machines/{id}/delete. A machine that still has
// entities (and no cascade) is refused: the machines page is shown again
// with the reason (409).
func (h *Machines) Delete(c echo.Context) error {
	err := h.Store.DeleteMachine(c.Request().Context(), c.Param("id"), c.FormValue("cascade") == "true")
	if errors.Is(err, store.ErrConflict) {
		return h.list(c, http.StatusConflict, store.ErrorMessage(err))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}
