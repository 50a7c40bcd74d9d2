// Package handlers holds Stator's thin echo handlers, one file per resource.
// Handlers return errors; the web package's error handler turns them into
// problem+json for the API or an HTML fragment or page for the UI.
package handlers

import (
	"fmt"
	"net/http"
)

// HTTPError is an error with an HTTP status and a message a person can act on.
type HTTPError struct {
	Status int
	Title  string
	Detail string
	Errors any // listed in the problem document's "errors" member
}

func (e *HTTPError) Error() string { return e.Detail }

func newHTTPError(status int, format string, args ...any) *HTTPError {
	return &HTTPError{Status: status, Title: http.StatusText(status), Detail: fmt.Sprintf(format, args...)}
}

// BadRequest is a 400 with a message saying what to fix.
func BadRequest(format string, args ...any) *HTTPError {
	return newHTTPError(http.StatusBadRequest, format, args...)
}

// NotFound is a 404.
func NotFound(format string, args ...any) *HTTPError {
	return newHTTPError(http.StatusNotFound, format, args...)
}
