package pages

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/web/templates"
)

// APIDocs serves the readable API page from the OpenAPI document.
type APIDocs struct {
	Document []byte
}

// Page answers GET /docs: the API reference as a page.
func (d APIDocs) Page(c echo.Context) error {
	v, err := docsView(d.Document)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.DocsPage(v))
}

// Render writes a templ component, rendering into a buffer first so that a
// failed render never sends half a page.
func Render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

type oaDoc struct {
	Info struct {
		Title, Version, Description string
	}
	Tags []struct {
		Name, Description string
	}
	Paths      map[string]map[string]json.RawMessage
	Components struct {
		Schemas         map[string]oaSchema
		Responses       map[string]struct{ Description string }
		Parameters      map[string]oaParam
		SecuritySchemes map[string]struct{ Description string }
	}
}

type oaOp struct {
	Tags        []string
	Summary     string
	Description string
	Parameters  []oaParam
	RequestBody *struct {
		Content map[string]struct {
			Schema  oaSchema
			Example json.RawMessage
		}
	}
	Responses map[string]struct {
		Ref         string `json:"$ref"`
		Description string
	}
}

type oaParam struct {
	Ref         string `json:"$ref"`
	Name, In    string
	Description string
	Required    bool
	Schema      oaSchema
}

type oaSchema struct {
	Ref         string `json:"$ref"`
	Type        string
	Description string
	Properties  map[string]oaSchema
	Items       *oaSchema
	Enum        []any
}

var methodOrder = map[string]int{"get": 0, "post": 1, "put": 2, "delete": 3}

func docsView(raw []byte) (templates.DocsView, error) {
	var doc oaDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		return templates.DocsView{}, err
	}
	v := templates.DocsView{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description,
		Auth: doc.Components.SecuritySchemes["bearer"].Description}
	groups := map[string]*templates.DocsGroup{}
	for _, t := range doc.Tags {
		v.Groups = append(v.Groups, templates.DocsGroup{Name: t.Name, Description: t.Description})
	}
	for i := range v.Groups {
		groups[v.Groups[i].Name] = &v.Groups[i]
	}
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		item := doc.Paths[p]
		var shared []oaParam
		if raw, ok := item["parameters"]; ok {
			_ = json.Unmarshal(raw, &shared)
		}
		methods := make([]string, 0, len(item))
		for m := range item {
			if _, ok := methodOrder[m]; ok {
				methods = append(methods, m)
			}
		}
		sort.Slice(methods, func(i, j int) bool { return methodOrder[methods[i]] < methodOrder[methods[j]] })
		for _, m := range methods {
			var op oaOp
			if err := json.Unmarshal(item[m], &op); err != nil {
				return v, err
			}
			e := templates.DocsEndpoint{
				Anchor: strings.ToLower(m) + strings.NewReplacer("/", "-", "{", "", "}", "", ".", "-").Replace(p),
				Method: strings.ToUpper(m), Path: p, Summary: op.Summary, Description: op.Description,
			}
			for _, prm := range append(append([]oaParam{}, shared...), op.Parameters...) {
				if prm.Ref != "" {
					prm = doc.Components.Parameters[strings.TrimPrefix(prm.Ref, "#/components/parameters/")]
				}
				e.Parameters = append(e.Parameters, templates.DocsParam{Name: prm.Name, In: prm.In, Type: prm.Schema.Type, Description: prm.Description, Required: prm.Required})
			}
			if op.RequestBody != nil {
				if ct, ok := op.RequestBody.Content["application/json"]; ok {
					if len(ct.Example) > 0 {
						e.Request = pretty(ct.Example)
					} else {
						e.Request = pretty(mustJSON(skeleton(doc, ct.Schema, 0)))
					}
				}
			}
			codes := make([]string, 0, len(op.Responses))
			for code := range op.Responses {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			for _, code := range codes {
				r := op.Responses[code]
				desc := r.Description
				if r.Ref != "" {
					desc = doc.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")].Description
				}
				e.Responses = append(e.Responses, templates.DocsResponse{Status: code, Description: desc})
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g, ok := groups[tag]
			if !ok {
				v.Groups = append(v.Groups, templates.DocsGroup{Name: tag})
				for i := range v.Groups {
					groups[v.Groups[i].Name] = &v.Groups[i]
				}
				g = groups[tag]
			}
			g.Endpoints = append(g.Endpoints, e)
		}
	}
	return v, nil
}

// skeleton turns a schema into an example-shaped value: each field shows its type.
func skeleton(doc oaDoc, s oaSchema, depth int) any {
	if s.Ref != "" {
		if depth > 3 {
			return "…"
		}
		s = doc.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	switch s.Type {
	case "object", "":
		if len(s.Properties) == 0 {
			return map[string]any{}
		}
		out := map[string]any{}
		for k, p := range s.Properties {
			out[k] = skeleton(doc, p, depth+1)
		}
		return out
	case "array":
		if s.Items != nil {
			return []any{skeleton(doc, *s.Items, depth+1)}
		}
		return []any{}
	}
	return "<" + s.Type + ">"
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func pretty(raw []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
