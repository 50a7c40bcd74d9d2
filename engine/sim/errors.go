package sim

import (
	"errors"
	"fmt"
)

// What went wrong, for errors.Is. Every error this package returns is an
// *Error that wraps one of these.
var (
	// ErrTrace: a trace cannot be read (not JSON, a step of no known kind,
	// an advance out of range).
	ErrTrace = errors.New("unreadable simulation trace")
	// ErrVersion: a trace of a version this package does not read.
	ErrVersion = errors.New("unsupported simulation trace version")
	// ErrLimit: a trace or a value is past one of the Limits.
	ErrLimit = errors.New("simulation limit exceeded")
	// ErrInput: a value typed in the simulator's form is not what its field needs.
	ErrInput = errors.New("invalid simulator input")
	// ErrOp: an operation this package does not know, or one that cannot apply
	// (going to a step that does not exist).
	ErrOp = errors.New("invalid simulator operation")
)

// Error is a refused trace or operation: Kind is what happened (one of the
// sentinels above), Field where (a form field such as "ctx.order_qty", or a
// part of the trace such as "steps[3].payload"; may be empty), Message the
// sentence shown to people.
type Error struct {
	Kind    error
	Field   string
	Message string
}

// Error is the sentinel's text, the field and the message, for logs.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%v: %s: %s", e.Kind, e.Field, e.Message)
	}
	return fmt.Sprintf("%v: %s", e.Kind, e.Message)
}

// Unwrap returns the sentinel, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// Message is the sentence for people carried by err when it is (or wraps) an
// *Error, and "internal error" for any other error; "" for nil.
func Message(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

func fail(kind error, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Field: field, Message: fmt.Sprintf(format, args...)}
}
