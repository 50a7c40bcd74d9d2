package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Severity says whether a problem stops a machine from being used.
type Severity string

// Problem severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem codes. They are stable: tests, the API and the editor rely on them.
const (
	CodeSyntaxError           = "syntax_error"
	CodeInvalidRoot           = "invalid_root"
	CodeInvalidField          = "invalid_field"
	CodeInvalidName           = "invalid_name"
	CodeInvalidStateType      = "invalid_state_type"
	CodeDuplicateState        = "duplicate_state"
	CodeDuplicateRegion       = "duplicate_region"
	CodeNoInitialState        = "no_initial_state"
	CodeMultipleInitialStates = "multiple_initial_states"
	CodeUnknownState          = "unknown_state"
	CodeInvalidInitialChild   = "invalid_initial_child"
	CodeParentCycle           = "parent_cycle"
	CodeTerminalHasTrans      = "terminal_has_transitions"
	CodeInvalidParallel       = "invalid_parallel"
	CodeUnknownRegion         = "unknown_region"
	CodeInvalidExpression     = "invalid_expression"
	CodeInvalidDelay          = "invalid_delay"
	CodeInvalidTimeout        = "invalid_timeout"
	CodeLimitExceeded         = "limit_exceeded"

	CodeUnreachableState   = "unreachable_state"
	CodeDeadEndState       = "dead_end_state"
	CodeShadowedTransition = "shadowed_transition"
	CodeUnboundGuard       = "unbound_guard"
	CodeUnusedGuard        = "unused_guard"
	CodeUnusedEvent        = "unused_event"
)

// Problem is one thing validation found, located by path and, for text input,
// by the 1-based line and column of the offending node.
type Problem struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Path     string   `json:"path"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
}

// Error formats the problem as "line:column: path: message (code)".
func (p Problem) Error() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:%d: ", p.Line, p.Column)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	b.WriteString(" (")
	b.WriteString(p.Code)
	b.WriteString(")")
	return b.String()
}

// IsError reports whether the problem makes the machine unusable.
func (p Problem) IsError() bool { return p.Severity == SeverityError }

// Problems is a list of problems in the order validation found them.
type Problems []Problem

// Errors returns only the error-severity problems.
func (ps Problems) Errors() Problems { return ps.filter(SeverityError) }

// Warnings returns only the warning-severity problems.
func (ps Problems) Warnings() Problems { return ps.filter(SeverityWarning) }

// HasErrors reports whether any problem is an error.
func (ps Problems) HasErrors() bool {
	for _, p := range ps {
		if p.IsError() {
			return true
		}
	}
	return false
}

func (ps Problems) filter(s Severity) Problems {
	out := Problems{}
	for _, p := range ps {
		if p.Severity == s {
			out = append(out, p)
		}
	}
	return out
}

// ErrInvalidMachine is wrapped by the error Load returns when the definition has
// errors; the problems are in the returned list and in *ValidationError.
var ErrInvalidMachine = errors.New("invalid machine definition")

// ValidationError carries every problem of a definition that could not be loaded.
type ValidationError struct {
	Problems Problems
}

func (e *ValidationError) Error() string {
	errs := e.Problems.Errors()
	if len(errs) == 0 {
		return ErrInvalidMachine.Error()
	}
	msg := fmt.Sprintf("%s: %s", ErrInvalidMachine, errs[0].Error())
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
	}
	return msg
}

// Unwrap lets errors.Is(err, ErrInvalidMachine) succeed.
func (e *ValidationError) Unwrap() error { return ErrInvalidMachine }

// Pos is a 1-based line and column in the source text.
type Pos struct {
	Line, Column int
}

// problemList collects problems, each placed by the caller: the decoder at the
// node it is reading, validation at the position the decoder recorded for the
// element at fault (see sourceMap).
type problemList struct {
	list Problems
}

func newProblemList() *problemList { return &problemList{} }

func (pl *problemList) add(sev Severity, code string, p path, at srcPos, format string, args ...any) {
	pl.list = append(pl.list, Problem{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Path: p.String(),
		Line: int(at.line), Column: int(at.col)})
}

func (pl *problemList) errorf(code string, p path, at srcPos, format string, args ...any) {
	pl.add(SeverityError, code, p, at, format, args...)
}

func (pl *problemList) warnf(code string, p path, at srcPos, format string, args ...any) {
	pl.add(SeverityWarning, code, p, at, format, args...)
}

// put records a problem the caller built whole (a syntax error, the alias bound).
func (pl *problemList) put(p Problem) { pl.list = append(pl.list, p) }

func (pl *problemList) hasErrors() bool { return pl.list.HasErrors() }

// sorted returns problems ordered by line, then column, errors before warnings on
// the same spot; problems without a position keep their relative order at the end.
func (pl *problemList) sorted() Problems {
	out := make(Problems, len(pl.list))
	copy(out, pl.list)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Line == 0) != (b.Line == 0) {
			return a.Line != 0
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.IsError() && !b.IsError()
	})
	return out
}
