package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Code names the failure for programs (store codes and their details,
	// such as "context_too_large").
	Code   string `json:"code,omitempty"`
	Errors any    `json:"errors,omitempty"`
	// fields are extension members (head_revision, retry_after...).
	fields map[string]any
}

// MarshalJSON writes the extension members beside the standard ones.
func (p problem) MarshalJSON() ([]byte, error) {
	type plain problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.fields) == 0 {
		return b, err
	}
	ext, err := json.Marshal(p.fields)
	if err != nil {
		return nil, err
	}
	return append(append(b[:len(b)-1], ','), ext[1:]...), nil
}

// statusOf maps each store code to its HTTP status, in one place.
var statusOf = map[store.Code]int{
	store.EINVALID:      http.StatusBadRequest,
	store.ENOTFOUND:     http.StatusNotFound,
	store.ECONFLICT:     http.StatusConflict,
	store.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	store.EUNAVAILABLE:  http.StatusServiceUnavailable,
	store.ERATELIMIT:    http.StatusTooManyRequests,
	store.EREUSED:       http.StatusUnprocessableEntity,
	store.EMEDIATYPE:    http.StatusUnsupportedMediaType,
	store.EUNAUTHORIZED: http.StatusUnauthorized,
	store.EFORBIDDEN:    http.StatusForbidden,
	store.EMISDIRECTED:  http.StatusMisdirectedRequest,
}

// toProblem maps an error to its problem document. Anything unexpected is a
// 500 that says only "internal error" (known=false: it is logged).
func toProblem(err error) (p problem, known bool) {
	var ve *engine.ValidationError
	var se *store.Error
	var ee *echo.HTTPError
	switch {
	case errors.As(err, &ve):
		detail := "the machine definition has errors"
		if errs := ve.Problems.Errors(); len(errs) > 0 {
			detail = errs[0].Error()
			if len(errs) > 1 {
				detail += " (and " + strconv.Itoa(len(errs)-1) + " more, see errors)"
			}
		}
		list := ve.Problems
		if list == nil {
			list = engine.Problems{}
		}
		return problem{Title: "Invalid machine", Status: http.StatusBadRequest, Detail: detail, Code: "invalid_machine", Errors: list}, true
	case errors.As(err, &se) && se.Code != store.EINTERNAL:
		status, ok := statusOf[se.Code]
		if !ok {
			break
		}
		code := string(se.Code)
		if se.Detail != "" {
			code = se.Detail
		}
		return problem{Title: http.StatusText(status), Status: status, Detail: store.ErrorMessage(err), Code: code, fields: se.Fields}, true
	case errors.As(err, &ee):
		detail, code := http.StatusText(ee.Code), "http_"+strconv.Itoa(ee.Code)
		switch ee.Code {
		case http.StatusRequestEntityTooLarge:
			detail, code = "the request body is larger than 1 MiB (1,048,576 bytes)", "body_too_large"
		case http.StatusNotFound:
			detail, code = "no such page or endpoint; the API is under /api/v1 (see /docs)", string(store.ENOTFOUND)
		case http.StatusMethodNotAllowed:
			detail, code = "this method is not allowed here; see /docs for the endpoints", "method_not_allowed"
		}
		return problem{Title: http.StatusText(ee.Code), Status: ee.Code, Detail: detail, Code: code}, true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return problem{Title: "Request Timeout", Status: http.StatusRequestTimeout, Detail: "the request was cancelled before it finished", Code: "cancelled"}, true
	}
	return problem{Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: "internal error", Code: string(store.EINTERNAL)}, false
}

// errorHandler is the one place errors become responses: a problem+json
// document for the API, an error fragment for htmx, an error page otherwise.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p, known := toProblem(err)
	if !known {
		s.cfg.Logger.Error("internal error", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	p.Type = "about:blank"
	h := c.Response().Header()
	switch p.Status {
	case http.StatusServiceUnavailable:
		h.Set("Retry-After", "1")
	case http.StatusTooManyRequests:
		if ra, ok := p.fields["retry_after"].(int); ok {
			h.Set("Retry-After", strconv.Itoa(ra))
		}
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="stator"`)
	}
	if s.wantsHTML(c) {
		v := templates.ErrorView{Status: p.Status, Title: p.Title, Detail: p.Detail}
		comp := templates.ErrorPage(v)
		if c.Request().Header.Get("HX-Request") != "" {
			comp = templates.ErrorFragment(v)
		}
		if b, rerr := templates.Render(c.Request().Context(), comp); rerr == nil {
			_ = c.HTMLBlob(p.Status, b)
			return
		}
	}
	b, _ := json.Marshal(p)
	h.Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	_, _ = c.Response().Write(b)
}

// wantsHTML tells page requests (and htmx) from API calls.
func (s *Server) wantsHTML(c echo.Context) bool {
	path := c.Request().URL.Path
	if strings.HasPrefix(path, "/api/") || path == "/health" || path == "/ready" {
		return false
	}
	return c.Request().Header.Get("HX-Request") != "" || strings.Contains(c.Request().Header.Get("Accept"), "text/html")
}
