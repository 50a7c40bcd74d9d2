package engine

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
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

// problemList collects problems and places them with the position table the
// decoder filled while walking the YAML nodes.
type problemList struct {
	list Problems
	root *yaml.Node // the parsed text; nil when the machine came from a Go value
}

func newProblemList() *problemList { return &problemList{} }

func (pl *problemList) add(sev Severity, code, path, format string, args ...any) {
	p := Problem{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Path: path}
	if at, ok := pl.lookup(path); ok {
		p.Line, p.Column = at.Line, at.Column
	}
	pl.list = append(pl.list, p)
}

func (pl *problemList) errorf(code, path, format string, args ...any) {
	pl.add(SeverityError, code, path, format, args...)
}

func (pl *problemList) warnf(code, path, format string, args ...any) {
	pl.add(SeverityWarning, code, path, format, args...)
}

// addAt records a problem at an explicit position (used for positions inside a
// scalar, such as the column of an expression's syntax error).
func (pl *problemList) addAt(sev Severity, code, path string, at Pos, format string, args ...any) {
	pl.list = append(pl.list, Problem{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Path: path, Line: at.Line, Column: at.Column})
}

// lookup finds the position of path, or of its nearest enclosing path.
func (pl *problemList) lookup(path string) (Pos, bool) {
	n, _ := pl.node(path)
	if n == nil || n.Line == 0 {
		return Pos{}, false
	}
	return Pos{Line: n.Line, Column: n.Column}, true
}

// node resolves a problem path ("transitions[2].guards[0]") to the YAML node it
// names. Positions are looked up only when a problem is reported, so loading a
// valid machine records none. When the path cannot be followed to the end (a
// scalar shorthand, a missing key), it returns the deepest node reached and
// exact=false.
func (pl *problemList) node(path string) (n *yaml.Node, exact bool) {
	n = derefNode(pl.root)
	if n == nil {
		return nil, false
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = derefNode(n.Content[0])
	}
	for path != "" {
		var seg string
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return n, false
			}
			i, err := strconv.Atoi(path[1:end])
			path = path[end+1:]
			if err != nil || n.Kind != yaml.SequenceNode || i < 0 || i >= len(n.Content) {
				return n, false
			}
			n = derefNode(n.Content[i])
		} else {
			path = strings.TrimPrefix(path, ".")
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			seg, path = path[:end], path[end:]
			v := mappingValue(n, seg)
			if v == nil {
				return n, false
			}
			n = v
		}
		if n == nil {
			return nil, false
		}
	}
	return n, true
}

func derefNode(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mappingValue finds a key in a mapping (the last occurrence wins, merge keys
// are followed).
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var found *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := derefNode(n.Content[i])
		if k == nil {
			continue
		}
		if k.Value == key && k.Tag != "!!merge" {
			found = derefNode(n.Content[i+1])
		}
	}
	if found != nil {
		return found
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Tag == "!!merge" || k.Value == "<<" {
			v := derefNode(n.Content[i+1])
			if v == nil {
				continue
			}
			if v.Kind == yaml.MappingNode {
				if f := mappingValue(v, key); f != nil {
					return f
				}
			}
		}
	}
	return nil
}

// isList reports whether path names a YAML sequence (to tell `source: a` from
// `source: [a, b]` when naming `source[1]`).
func (pl *problemList) isList(path string) bool {
	n, exact := pl.node(path)
	return exact && n != nil && n.Kind == yaml.SequenceNode
}

// exprStart is where an expression's text begins: the scalar itself, or the
// `expr:` value of a {expr: ...} mapping.
func (pl *problemList) exprStart(path string) (exprAt, bool) {
	n, exact := pl.node(path)
	if !exact || n == nil {
		return exprAt{}, false
	}
	if n.Kind == yaml.MappingNode {
		n = mappingValue(n, "expr")
	}
	if n == nil || n.Kind != yaml.ScalarNode || n.Line == 0 {
		return exprAt{}, false
	}
	return exprStart(n), true
}

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
