package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/handlers"
)

// problem is an RFC 9457 problem document.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors any    `json:"errors,omitempty"`
}

// toProblem maps an error to its HTTP status and problem document. Anything
// unexpected is a 500 that says only "internal error".
func toProblem(err error) (problem, bool) {
	var he *handlers.HTTPError
	var ve *engine.ValidationError
	var ee *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return problem{Title: he.Title, Status: he.Status, Detail: he.Detail, Errors: he.Errors}, true
	case errors.As(err, &ve):
		p := handlers.InvalidMachine(ve.Problems)
		return problem{Title: p.Title, Status: p.Status, Detail: p.Detail, Errors: p.Errors}, true
	case errors.Is(err, store.ErrNotFound):
		return problem{Title: "Not Found", Status: http.StatusNotFound, Detail: err.Error()}, true
	case errors.Is(err, store.ErrConflict):
		return problem{Title: "Conflict", Status: http.StatusConflict, Detail: err.Error()}, true
	case errors.Is(err, store.ErrInvalid):
		return problem{Title: "Bad Request", Status: http.StatusBadRequest, Detail: err.Error()}, true
	case errors.As(err, &ee):
		detail := http.StatusText(ee.Code)
		switch ee.Code {
		case http.StatusRequestEntityTooLarge:
			detail = "the request body is larger than 1 MiB"
		case http.StatusNotFound:
			detail = "no such page or endpoint; the API is under /api/v1 (see /docs)"
		case http.StatusMethodNotAllowed:
			detail = "this method is not allowed here; see /docs for the endpoints"
		default:
			if m, ok := ee.Message.(string); ok && m != "" {
				detail = m
			}
		}
		return problem{Title: http.StatusText(ee.Code), Status: ee.Code, Detail: detail}, true
	case errors.Is(err, store.ErrClosed):
		return problem{Title: "Service Unavailable", Status: http.StatusServiceUnavailable, Detail: "the server is shutting down; retry"}, true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return problem{Title: "Request Timeout", Status: http.StatusRequestTimeout, Detail: "the request was cancelled"}, true
	}
	return problem{Title: "Internal Server Error", Status: http.StatusInternalServerError, Detail: "internal error"}, false
}

// errorHandler is the one place errors become responses.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p, known := toProblem(err)
	if !known {
		s.cfg.Logger.Error("internal error", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	p.Type = "about:blank"
	if s.wantsHTML(c) {
		s.renderErrorPage(c, p)
		return
	}
	b, _ := json.Marshal(p)
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	_, _ = c.Response().Write(b)
}

// wantsHTML tells page requests (and htmx) from API calls.
func (s *Server) wantsHTML(c echo.Context) bool {
	path := c.Request().URL.Path
	if strings.HasPrefix(path, "/api/") || path == "/health" {
		return false
	}
	return c.Request().Header.Get("HX-Request") != "" || strings.Contains(c.Request().Header.Get("Accept"), "text/html")
}
