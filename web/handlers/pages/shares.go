package pages

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// Share answers POST /workspace/share: a stored, immutable short link to the
// text (and the simulation trace).
func (h *Shares) Share(c echo.Context) error {
	text := formText(c, "yaml")
	if strings.TrimSpace(text) == "" {
		return store.Errorf(store.EINVALID, "there is nothing to share: the machine text is empty")
	}
	var trace []byte
	if t := c.FormValue("trace"); t != "" && t != "null" {
		trace = []byte(t)
	}
	sh, err := h.Store.CreateShare(c.Request().Context(), text, trace)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.SharePanel(h.BaseURL(c)+"/s/"+sh.ID))
}

// SharePage answers GET /s/{id}: a shared machine, read-only, with its simulation.
func (h *Shares) SharePage(c echo.Context) error {
	sh, err := h.Store.GetShare(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	a := Analyze(sh.YAML)
	name, version := "shared machine", ""
	if m, _, err := engine.Load([]byte(sh.YAML)); err == nil {
		name, version = m.Name(), m.Version()
	}
	v := templates.WorkspaceView{
		Mode: "share", ShareID: sh.ID, Name: name, Version: version, YAML: sh.YAML, Analysis: a,
		Data: templates.WorkspaceData{Mode: "share", ShareID: sh.ID, YAML: sh.YAML, Trace: sh.Trace},
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}

// DraftPage answers GET /draft: the machine is in the link's fragment
// (compressed), read by the page script; nothing is stored.
func (h *Shares) DraftPage(c echo.Context) error {
	v := templates.WorkspaceView{
		Mode: "draft", Name: "draft", Version: "", Analysis: Analyze(""),
		Data: templates.WorkspaceData{Mode: "draft"},
	}
	return Render(c, http.StatusOK, templates.WorkspacePage(v))
}
