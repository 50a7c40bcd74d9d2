package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// PageStore is what the pages need of the store.
type PageStore interface {
	MachineStore
	ShareStore
	EntityStore
	FindMachine(ctx context.Context, name, version string) (*store.Machine, error)
}

// Template is a starting point offered by "New machine".
type Template struct {
	Name        string // example file name
	YAML        string
	Description string // meta.description, shown by "New machine"
}

// Pages serves the machine list, the workspace and the share views.
type Pages struct {
	Store     PageStore
	Templates []Template
	Clock     engine.Clock
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
func (h *Pages) List(c echo.Context) error {
	ms, err := h.Store.ListMachines(c.Request().Context())
	if err != nil {
		return err
	}
	v := templates.MachineListView{Templates: h.templateOptions(), Error: c.QueryParam("error")}
	now := h.Clock.Now()
	for _, m := range ms {
		v.Machines = append(v.Machines, templates.MachineRow{
			ID: m.ID, Name: m.Name, Version: m.Version, Description: m.Description, Revision: m.Revision,
			Updated: ago(now, m.UpdatedAt), UpdatedISO: m.UpdatedAt.UTC().Format(time.RFC3339),
			Entities: m.Entities, Live: m.LiveEntities,
		})
	}
	return Render(c, http.StatusOK, templates.MachinesPage(v))
}

func (h *Pages) templateOptions() []templates.TemplateOption {
	out := []templates.TemplateOption{{Value: "blank", Label: "Blank", Description: "An initial and a terminal state"}}
	for _, t := range h.Templates {
		out = append(out, templates.TemplateOption{Value: t.Name, Label: strings.ReplaceAll(t.Name, "_", " "), Description: t.Description})
	}
	return out
}

// ago says how long ago t was, for people.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
	return t.UTC().Format("2 Jan 2006")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// formText reads machine text posted by a page's form. Browsers send a
// textarea's line breaks as CRLF; the editor and the stored revisions use LF,
// so that a saved machine reopens exactly as it was typed (and not as
// "unsaved").
func formText(c echo.Context, name string) string {
	return strings.ReplaceAll(c.FormValue(name), "\r\n", "\n")
}

// Create answers POST /machines (a form): a new machine from a template, or
// from posted text (fork of a share or a draft), then opens it.
func (h *Pages) Create(c echo.Context) error {
	text := formText(c, "yaml")
	if text == "" {
		tpl := c.FormValue("template")
		switch tpl {
		case "", "blank":
			text = blankMachine
		default:
			for _, t := range h.Templates {
				if t.Name == tpl {
					text = t.YAML
				}
			}
			if text == "" {
				return BadRequest("there is no template %q", tpl)
			}
		}
	}
	suffix := "copy"
	if c.FormValue("fork") == "true" {
		suffix = "fork"
	}
	m, err := h.createUnique(c.Request().Context(), text, suffix)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/machines/"+m.ID)
}

// createUnique stores text as a new machine, renaming it (name_copy,
// name_copy_2, ...) when its name and version are taken.
func (h *Pages) createUnique(ctx context.Context, text, suffix string) (*store.Machine, error) {
	em, problems, err := engine.Load([]byte(text))
	if err != nil {
		if errors.Is(err, engine.ErrInvalidMachine) {
			return nil, InvalidMachine(problems)
		}
		return nil, err
	}
	name := em.Name()
	for i := 1; i <= 100; i++ {
		if _, err := h.Store.FindMachine(ctx, name, em.Version()); errors.Is(err, store.ErrNotFound) {
			break
		} else if err != nil {
			return nil, err
		}
		name = em.Name() + "_" + suffix
		if i > 1 {
			name += "_" + strconv.Itoa(i)
		}
	}
	if name != em.Name() {
		text = renameMachine(text, name)
	}
	return h.Store.CreateMachine(ctx, text)
}

// Fork answers POST /machines/{id}/fork: a copy of the machine (or of the
// posted editor text) under a new name.
func (h *Pages) Fork(c echo.Context) error {
	ctx := c.Request().Context()
	text := formText(c, "yaml")
	if text == "" {
		m, err := h.Store.GetMachine(ctx, c.Param("id"))
		if err != nil {
			return err
		}
		text = m.YAML
	}
	m, err := h.createUnique(ctx, text, "fork")
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/machines/"+m.ID)
}

// Delete answers POST /machines/{id}/delete.
func (h *Pages) Delete(c echo.Context) error {
	err := h.Store.DeleteMachine(c.Request().Context(), c.Param("id"), c.FormValue("cascade") == "true")
	if errors.Is(err, store.ErrConflict) {
		return c.Redirect(http.StatusSeeOther, "/?error="+urlQueryEscape(err.Error()))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

func urlQueryEscape(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "+", "#", "%23", "?", "%3F", "=", "%3D").Replace(s)
}

// workspaceData is handed to the page script.
type workspaceData struct {
	Mode      string          `json:"mode"`
	MachineID string          `json:"machine_id,omitempty"`
	ShareID   string          `json:"share_id,omitempty"`
	Revision  int             `json:"revision,omitempty"`
	YAML      string          `json:"yaml"`
	Trace     any             `json:"trace,omitempty"`
	Examples  map[string]bool `json:"-"`
}

// Workspace answers GET /machines/{id}.
func (h *Pages) Workspace(c echo.Context) error {
	m, err := h.Store.GetMachine(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	v := templates.WorkspaceView{
		Mode: "machine", MachineID: m.ID, Name: m.Name, Version: m.Version, Revision: m.Revision, YAML: m.YAML,
		Analysis: Analyze(m.YAML),
		Data:     workspaceData{Mode: "machine", MachineID: m.ID, Revision: m.Revision, YAML: m.YAML},
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}

// SharePage answers GET /s/{id}: a shared machine, read-only, with its simulation.
func (h *Pages) SharePage(c echo.Context) error {
	sh, err := h.Store.GetShare(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	a := Analyze(sh.YAML)
	name, version := "shared machine", ""
	if m, _, err := engine.Load([]byte(sh.YAML)); err == nil {
		name, version = m.Name(), m.Version()
	}
	var trace any
	if len(sh.Trace) > 0 {
		trace = sh.Trace
	}
	v := templates.WorkspaceView{
		Mode: "share", ShareID: sh.ID, Name: name, Version: version, YAML: sh.YAML, Analysis: a,
		Data: workspaceData{Mode: "share", ShareID: sh.ID, YAML: sh.YAML, Trace: trace},
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}

// DraftPage answers GET /draft: the machine is in the link's fragment
// (compressed), read by the page script; nothing is stored.
func (h *Pages) DraftPage(c echo.Context) error {
	v := templates.WorkspaceView{
		Mode: "draft", Name: "draft", Version: "", Analysis: Analyze(""),
		Data: workspaceData{Mode: "draft"},
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}

// analysisData is what the page script applies after each validation.
type analysisData struct {
	Valid     bool            `json:"valid"`
	Name      string          `json:"name,omitempty"`
	Version   string          `json:"version,omitempty"`
	Mermaid   string          `json:"mermaid,omitempty"`
	Edges     []int           `json:"mermaid_edges,omitempty"` // transition index of each drawn edge (engine.MermaidDiagram)
	Problems  []problemJSON   `json:"problems"`
	Simulator *SimulatorModel `json:"simulator,omitempty"`
}

type problemJSON struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Code     string `json:"code"`
}

// Analyze validates editor text and, when it loads, draws it: what the
// problems panel, the editor markers and the diagram show.
func Analyze(text string) templates.AnalysisView {
	m, problems, _ := engine.Load([]byte(text))
	data := analysisData{Valid: m != nil, Problems: []problemJSON{}}
	v := templates.AnalysisView{}
	for _, p := range problems {
		v.Problems = append(v.Problems, templates.ProblemView{Code: p.Code, Severity: string(p.Severity), Message: p.Message, Path: p.Path, Line: p.Line, Column: p.Column})
		data.Problems = append(data.Problems, problemJSON{Line: p.Line, Column: p.Column, Severity: string(p.Severity), Message: p.Message, Code: p.Code})
		if p.IsError() {
			v.Errors++
		} else {
			v.Warnings++
		}
	}
	if m != nil {
		data.Name, data.Version = m.Name(), m.Version()
		d := m.MermaidDiagram(engine.DefaultDiagramOptions())
		data.Mermaid, data.Edges = d.Text, d.Edges
		data.Simulator = simulatorModel(m)
	}
	v.Data = data
	return v
}

// AnalyzeFragment answers POST /workspace/analyze (the editor text as a form).
func (h *Pages) AnalyzeFragment(c echo.Context) error {
	return Render(c, http.StatusOK, templates.Analysis(Analyze(formText(c, "yaml"))))
}

// Save answers POST /machines/{id}/save: the editor text becomes a new
// revision. An invalid text or a name clash is reported in the fragment (200,
// so that htmx shows it).
func (h *Pages) Save(c echo.Context) error {
	text := formText(c, "yaml")
	m, err := h.Store.UpdateMachine(c.Request().Context(), c.Param("id"), text)
	var ve *engine.ValidationError
	switch {
	case errors.As(err, &ve):
		n := len(ve.Problems.Errors())
		return Render(c, http.StatusOK, templates.SaveStatus(false, fmt.Sprintf("Not saved: fix the %s listed under Problems first.", plural(n, "error"))))
	case errors.Is(err, store.ErrConflict):
		return Render(c, http.StatusOK, templates.SaveStatus(false, "Not saved: "+strings.TrimSuffix(err.Error(), ": conflict")))
	case err != nil:
		return err
	}
	c.Response().Header().Set("HX-Trigger", fmt.Sprintf(`{"stator:saved": {"revision": %d, "name": %s, "version": %s}}`,
		m.Revision, yamlString(m.Name), yamlString(m.Version)))
	return Render(c, http.StatusOK, templates.SaveStatus(true, fmt.Sprintf("Saved revision %d.", m.Revision)))
}

// Share answers POST /workspace/share: a stored, immutable short link to the
// text (and the simulation trace).
func (h *Pages) Share(c echo.Context) error {
	text := formText(c, "yaml")
	if strings.TrimSpace(text) == "" {
		return BadRequest("there is nothing to share: the machine text is empty")
	}
	if len(text) > 512<<10 {
		return BadRequest("the machine text is %d bytes; the limit is %d", len(text), 512<<10)
	}
	var trace []byte
	if t := c.FormValue("trace"); t != "" && t != "null" {
		if !jsonValid([]byte(t)) {
			return BadRequest("the simulation trace is not valid JSON")
		}
		trace = []byte(t)
	}
	sh, err := h.Store.CreateShare(c.Request().Context(), text, trace)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.SharePanel(c.Scheme()+"://"+c.Request().Host+"/s/"+sh.ID))
}

// Export answers POST /workspace/export: the editor text as YAML, JSON,
// Mermaid or DOT, as a download.
func (h *Pages) Export(c echo.Context) error {
	text, format := formText(c, "yaml"), c.FormValue("format")
	name := "machine"
	m, problems, err := engine.Load([]byte(text))
	if err == nil {
		name = safeFileName(m.Name())
	}
	var body []byte
	var ctype, ext string
	switch format {
	case "yaml":
		body, ctype, ext = []byte(text), "application/yaml", "yaml"
	case "json":
		raw, err := yamlToJSON(text)
		if err != nil {
			return BadRequest("the text is not valid YAML, so it cannot be converted to JSON: %v", err)
		}
		body, ctype, ext = []byte(pretty(raw)+"\n"), "application/json", "json"
	case "mermaid", "dot":
		if m == nil {
			return InvalidMachine(problems)
		}
		if format == "mermaid" {
			body, ctype, ext = []byte(m.Mermaid(engine.DefaultDiagramOptions())), "text/plain", "mmd"
		} else {
			body, ctype, ext = []byte(m.DOT(engine.DefaultDiagramOptions())), "text/vnd.graphviz", "dot"
		}
	default:
		return BadRequest("format must be yaml, json, mermaid or dot, not %q", format)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.%s"`, name, ext))
	return c.Blob(http.StatusOK, ctype+"; charset=utf-8", body)
}

func safeFileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "machine"
	}
	return b.String()
}

// sortedKeys is used by the simulator model.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
