package pages

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/yamledit"
	"github.com/statorhq/stator/store"
)

// Export answers POST /workspace/export: the editor text as YAML, JSON,
// Mermaid or DOT, as a download.
func Export(c echo.Context) error {
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
		raw, err := yamledit.ToJSON(text)
		if err != nil {
			return store.Errorf(store.EINVALID, "the text is not valid YAML, so it cannot be converted to JSON: %v", err)
		}
		body, ctype, ext = []byte(pretty(raw)+"\n"), "application/json", "json"
	case "mermaid", "dot":
		if m == nil {
			return &engine.ValidationError{Problems: problems}
		}
		if format == "mermaid" {
			body, ctype, ext = []byte(m.Mermaid(engine.DefaultDiagramOptions())), "text/plain", "mmd"
		} else {
			body, ctype, ext = []byte(m.DOT(engine.DefaultDiagramOptions())), "text/vnd.graphviz", "dot"
		}
	default:
		return store.Errorf(store.EINVALID, "format must be yaml, json, mermaid or dot, not %q", format)
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
