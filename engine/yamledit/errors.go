package yamledit

import (
	"errors"
	"fmt"
	"strings"

	"github.com/statorhq/stator/engine"
)

// What went wrong, for errors.Is. Every refusal Apply returns is an *Error
// wrapping one of these, or an *InvalidError (the text has problems).
var (
	// ErrOp: the op cannot be read: an unknown kind, a missing field, a
	// field the kind does not take, nothing to change.
	ErrOp = errors.New("invalid edit operation")
	// ErrInvalidName: a new name breaks the naming rule ^[a-z0-9_]+$.
	ErrInvalidName = errors.New("invalid name")
	// ErrUnknownState: the op names a state the machine does not have.
	ErrUnknownState = errors.New("unknown state")
	// ErrUnknownTrigger: no transition and no event uses the trigger.
	ErrUnknownTrigger = errors.New("unknown trigger")
	// ErrUnknownTransition: the transition index is outside `transitions`.
	ErrUnknownTransition = errors.New("unknown transition")
	// ErrNameTaken: the new name is already used by a state (or a trigger).
	ErrNameTaken = errors.New("name already used")
	// ErrInitialState: the state is the machine's only initial state, or a
	// region's initial state; another state must take that role first.
	ErrInitialState = errors.New("initial state")
	// ErrHasChildren: the state to delete has child states.
	ErrHasChildren = errors.New("state has children")
	// ErrInUse: the state is named where no cleanup is obvious
	// (error_policy.default_fallback).
	ErrInUse = errors.New("state in use")
	// ErrParentCycle: the new parent is the state itself or inside it.
	ErrParentCycle = errors.New("parent cycle")
	// ErrStateType: the state's type does not allow the edit (a terminal
	// state cannot become initial; a parallel state needs regions).
	ErrStateType = errors.New("state type does not allow the edit")
	// ErrShared: the text to change is shared through an anchor and aliases,
	// so the edit would change other parts of the machine too.
	ErrShared = errors.New("shared by an alias")
	// ErrUnsupported: the text is written in a way this package does not
	// rewrite (a name as a block scalar, a missing `transitions:` key...).
	ErrUnsupported = errors.New("unsupported text")
)

// codes are the machine-readable names of the sentinels (the API's `code`).
var codes = map[error]string{
	ErrOp:                "invalid_op",
	ErrInvalidName:       "invalid_name",
	ErrUnknownState:      "unknown_state",
	ErrUnknownTrigger:    "unknown_trigger",
	ErrUnknownTransition: "unknown_transition",
	ErrNameTaken:         "name_taken",
	ErrInitialState:      "initial_state",
	ErrHasChildren:       "has_children",
	ErrInUse:             "state_in_use",
	ErrParentCycle:       "parent_cycle",
	ErrStateType:         "invalid_state_type",
	ErrShared:            "shared_text",
	ErrUnsupported:       "unsupported_text",
}

// Error is a refused edit: Kind is what happened (one of the sentinels
// above), Op the edit, Field the op's field at fault ("name", "to", "index";
// empty when the text is at fault), Message the sentence shown to people.
type Error struct {
	Kind    error
	Op      Kind
	Field   string
	Message string
}

// Error is the op, the sentinel and the message, for logs.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.Op, e.Kind, e.Message)
}

// Unwrap returns the sentinel, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// Code is the stable machine-readable name of the refusal ("unknown_state",
// "name_taken"...), for the API's problem `code`.
func (e *Error) Code() string { return codes[e.Kind] }

// InvalidError refuses an edit because of the machine's problems: the input
// text cannot be read as a machine (Input; edits need a tree), or the text
// the edit would produce has errors. In the second case the problems carry
// no line and column: they would point into a text that was not kept.
type InvalidError struct {
	Op       Kind
	Input    bool
	Problems engine.Problems
}

func (e *InvalidError) Error() string {
	what := "the edit would make the machine invalid"
	if e.Input {
		what = "the text must read as a machine before it can be edited"
	}
	if errs := e.Problems.Errors(); len(errs) > 0 {
		return fmt.Sprintf("%s: %s: %s", e.Op, what, errs[0].Error())
	}
	return fmt.Sprintf("%s: %s", e.Op, what)
}

// Unwrap gives the problems as an *engine.ValidationError, so that callers
// (the web layer) answer them like any invalid machine.
func (e *InvalidError) Unwrap() error { return &engine.ValidationError{Problems: e.Problems} }

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

func refuse(kind error, op Kind, field, format string, args ...any) *Error {
	return &Error{Kind: kind, Op: op, Field: field, Message: fmt.Sprintf(format, args...)}
}

// suggest names the closest of names to name, for typos: ` (did you mean "x"?)`.
func suggest(name string, names []string) string {
	best, bestD := "", 3
	for _, s := range names {
		if d := engine.EditDistance(name, s); d < bestD && s != "" && s != name {
			best, bestD = s, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// nameHint proposes a valid spelling of a name that breaks the rule.
func nameHint(name string) string {
	lower := strings.ToLower(strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(name))
	if validName(lower) {
		return fmt.Sprintf("; try %q", lower)
	}
	return ""
}
