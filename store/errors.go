package store

import (
	"errors"
	"fmt"
)

// Code says what kind of failure an Error is. The web layer maps each code to
// one HTTP status in one place; other callers match them with ErrorCode.
type Code string

// Error codes.
const (
	EINVALID      Code = "invalid"      // the input breaks a rule; the message says which
	ENOTFOUND     Code = "not_found"    // no such machine, revision, entity or share
	ECONFLICT     Code = "conflict"     // the request clashes with what is stored
	ETOOLARGE     Code = "too_large"    // a size limit (SPEC 11)
	EUNAVAILABLE  Code = "unavailable"  // the database is busy or the store is closing; retry
	ERATELIMIT    Code = "rate_limited" // too many requests from one client; retry later
	EREUSED       Code = "idempotency_key_reused"
	EMEDIATYPE    Code = "unsupported_media_type" // the body is not of a type the endpoint reads
	EUNAUTHORIZED Code = "unauthorized"           // no (valid) credentials
	EFORBIDDEN    Code = "forbidden"              // credentials, but not allowed: too small a role, another site
	EMISDIRECTED  Code = "misdirected"            // a Host the server does not answer to
	EINTERNAL     Code = "internal"
)

// Error is a failure with a code and a sentence for people. Handlers show
// Message as it is; they never edit the text of an error.
type Error struct {
	Code    Code
	Message string
	// Detail is a machine-readable name for the failure within its code,
	// such as "context_too_large" (optional; the API shows it).
	Detail string
	// Fields are extra members of the API answer, such as head_revision.
	Fields map[string]any
	// Err is the underlying cause, if any (not shown to people).
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) and the other sentinels match an
// Error of that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Sentinels for errors.Is: an *Error of the same code matches.
var (
	ErrInvalid     = &Error{Code: EINVALID}
	ErrNotFound    = &Error{Code: ENOTFOUND}
	ErrConflict    = &Error{Code: ECONFLICT}
	ErrTooLarge    = &Error{Code: ETOOLARGE}
	ErrUnavailable = &Error{Code: EUNAVAILABLE}
	ErrRateLimited = &Error{Code: ERATELIMIT}
	ErrKeyReused   = &Error{Code: EREUSED}
	// ErrClosed is returned once the store is closing.
	ErrClosed = &Error{Code: EUNAVAILABLE, Message: "the server is shutting down; retry"}
)

// Errorf returns an *Error with a code and a message for people.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the code of err: that of the first *Error in its chain, or
// EINTERNAL for anything else (nil has no code).
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage is the sentence for people of err, or "internal error" for
// errors that are not an *Error (their detail belongs in the log only).
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "internal error"
}
