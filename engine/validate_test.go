package engine_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
)

// where is the part of a problem the validation table compares: everything
// but the message, which is for people.
type where struct {
	Code     string
	Severity engine.Severity
	Path     string
	Line     int
	Column   int
}

func whereOf(p engine.Problem) where {
	return where{Code: p.Code, Severity: p.Severity, Path: p.Path, Line: p.Line, Column: p.Column}
}

func errAt(code, path string, line, col int) where {
	return where{Code: code, Severity: engine.SeverityError, Path: path, Line: line, Column: col}
}

func warnAt(code, path string, line, col int) where {
	return where{Code: code, Severity: engine.SeverityWarning, Path: path, Line: line, Column: col}
}

// TestValidationProblems has one or more cases for every problem code of SPEC 2.
// Each text starts on line 1, so the expected lines can be read off the text.
func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts []engine.Option
		want where
	}{
		// ---- errors ----
		{
			name: "yaml syntax error found by the scanner",
			text: "states:\n  - name: a\n    type: initial: x\ntransitions: []\n",
			want: errAt(engine.CodeSyntaxError, "", 3, 5),
		},
		{
			// yaml.v3 reports parser errors with a 0-based line; the problem
			// must carry the 1-based line of the unclosed `{`.
			name: "yaml syntax error found by the parser",
			text: "states:\n  - {name: a, type: initial\ntransitions: []\n",
			want: errAt(engine.CodeSyntaxError, "", 2, 3),
		},
		{
			// yaml.v3 gives no line at all for an error on the first line.
			name: "yaml syntax error on the first line",
			text: "states: [a, b}\ntransitions: []\n",
			want: errAt(engine.CodeSyntaxError, "", 1, 1),
		},
		{
			// The parser notices at the end of the text: the problem points
			// just after its last character.
			name: "yaml flow sequence still open at the end",
			text: "states: [a, b\n\n",
			want: errAt(engine.CodeSyntaxError, "", 1, 14),
		},
		{
			name: "yaml control character",
			text: "states:\n  - {name: a\x01, type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeSyntaxError, "", 2, 13),
		},
		{
			name: "yaml invalid utf-8",
			text: "meta:\n  description: caf\xe9\nstates: []\n",
			want: errAt(engine.CodeSyntaxError, "", 2, 19),
		},
		{
			name: "yaml alias to an unknown anchor",
			text: "states:\n  - {name: a, type: initial}\ntransitions: *nothing\n",
			want: errAt(engine.CodeSyntaxError, "", 3, 14),
		},
		{
			// The column is the offending character itself, not the one after it.
			name: "json trailing comma",
			text: "{\n  \"states\": [\n    {\"name\": \"a\", \"type\": \"initial\"},\n  ],\n  \"transitions\": []\n}\n",
			want: errAt(engine.CodeSyntaxError, "", 4, 3),
		},
		{
			name: "json missing comma",
			text: `{"states": [{"name": "a" "type": "initial"}], "transitions": []}`,
			want: errAt(engine.CodeSyntaxError, "", 1, 26),
		},
		{
			name: "json with text after the document",
			text: `{"states": [{"name": "a", "type": "initial"}], "transitions": []} x`,
			want: errAt(engine.CodeSyntaxError, "", 1, 67),
		},
		{
			name: "json with a second document",
			text: "{\"states\": []}\n  {\"transitions\": []}\n",
			want: errAt(engine.CodeSyntaxError, "", 2, 3),
		},
		{
			name: "json not closed",
			text: "{\"states\": [\n",
			want: errAt(engine.CodeSyntaxError, "", 1, 13),
		},
		{
			name: "root is a list",
			text: "- a\n- b\n",
			want: errAt(engine.CodeInvalidRoot, "", 1, 1),
		},
		{
			name: "root is a scalar",
			text: "\n\njust text\n",
			want: errAt(engine.CodeInvalidRoot, "", 3, 1),
		},
		{
			// An empty text has no node to point at.
			name: "empty document",
			text: "# nothing here\n",
			want: errAt(engine.CodeInvalidRoot, "", 0, 0),
		},
		{
			name: "field of the wrong type",
			text: "meta:\n  machine_name: v\n  strict_mode: maybe\nstates:\n  - {name: a, type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeInvalidField, "meta.strict_mode", 3, 16),
		},
		{
			name: "states is a mapping",
			text: "states:\n  a: {type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeInvalidField, "states", 2, 3),
		},
		{
			name: "transition without dest",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a}\n",
			want: errAt(engine.CodeInvalidField, "transitions[0]", 4, 5),
		},
		{
			name: "key given twice",
			text: "states:\n  - name: a\n    type: initial\n    name: b\ntransitions: []\n",
			want: errAt(engine.CodeInvalidField, "states[0].name", 4, 5),
		},
		{
			name: "state name with capitals",
			text: "states:\n  - {name: a, type: initial}\n  - {name: Open}\ntransitions:\n  - {trigger: go, source: a, dest: Open}\n",
			want: errAt(engine.CodeInvalidName, "states[1].name", 3, 12),
		},
		{
			name: "trigger name with a dash",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go-now, source: a, dest: b}\n",
			want: errAt(engine.CodeInvalidName, "transitions[0].trigger", 5, 15),
		},
		{
			name: "action name with a space",
			text: "states:\n  - name: a\n    type: initial\n    on_enter: [ok, not ok]\ntransitions: []\n",
			want: errAt(engine.CodeInvalidName, "states[0].on_enter[1]", 4, 20),
		},
		{
			name: "unknown state type",
			text: "states:\n  - name: a\n    type: begin\ntransitions: []\n",
			want: errAt(engine.CodeInvalidStateType, "states[0].type", 3, 11),
		},
		{
			name: "duplicate state marked at its later occurrence",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\n  - {name: b}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n",
			want: errAt(engine.CodeDuplicateState, "states[2].name", 4, 12),
		},
		{
			name: "duplicate region",
			text: parallelText("      - {name: r1, initial: x, states: [x]}\n      - {name: r1, initial: y, states: [y]}\n", ""),
			want: errAt(engine.CodeDuplicateRegion, "states[1].regions[1].name", 7, 16),
		},
		{
			name: "no initial state",
			text: "states:\n  - {name: a}\ntransitions: []\n",
			want: errAt(engine.CodeNoInitialState, "states", 2, 3),
		},
		{
			name: "two root initial states",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeMultipleInitialStates, "states[1].type", 3, 21),
		},
		{
			name: "unknown dest",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - trigger: go\n    source: a\n    dest: zzz\n",
			want: errAt(engine.CodeUnknownState, "transitions[0].dest", 6, 11),
		},
		{
			name: "unknown source in a list",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: [a, nope], dest: a}\n",
			want: errAt(engine.CodeUnknownState, "transitions[0].source[1]", 4, 31),
		},
		{
			name: "unknown parent",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, parent: ghost}\ntransitions: []\n",
			want: errAt(engine.CodeUnknownState, "states[1].parent", 3, 23),
		},
		{
			name: "unknown timeout destination",
			text: "states:\n  - name: a\n    type: initial\n    timeout: {seconds: 5, destination: later}\ntransitions: []\n",
			want: errAt(engine.CodeUnknownState, "states[0].timeout.destination", 4, 40),
		},
		{
			name: "unknown default fallback",
			text: "states:\n  - {name: a, type: initial}\ntransitions: []\nerror_policy:\n  default_fallback: failed\n",
			want: errAt(engine.CodeUnknownState, "error_policy.default_fallback", 5, 21),
		},
		{
			name: "unknown region initial",
			text: parallelText("      - {name: r1, initial: zz, states: [x]}\n      - {name: r2, initial: y, states: [y]}\n", ""),
			want: errAt(engine.CodeUnknownState, "states[1].regions[0].initial", 6, 29),
		},
		{
			name: "initial_child that is not a child",
			text: "states:\n  - {name: a, type: initial}\n  - {name: box, initial_child: a}\ntransitions:\n  - {trigger: go, source: a, dest: box}\n",
			want: errAt(engine.CodeInvalidInitialChild, "states[1].initial_child", 3, 32),
		},
		{
			name: "parent cycle marked at its last state",
			text: "states:\n  - {name: a, type: initial}\n  - {name: p, parent: q}\n  - {name: q, parent: p}\ntransitions: []\n",
			want: errAt(engine.CodeParentCycle, "states[2].parent", 4, 23),
		},
		{
			name: "own parent",
			text: "states:\n  - {name: a, type: initial, parent: a}\ntransitions: []\n",
			want: errAt(engine.CodeParentCycle, "states[0].parent", 2, 38),
		},
		{
			name: "transition out of a terminal state",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n  - {trigger: back, source: b, dest: a}\n",
			want: errAt(engine.CodeTerminalHasTrans, "transitions[1]", 6, 5),
		},
		{
			name: "timeout on a terminal state",
			text: "states:\n  - {name: a, type: initial}\n  - name: b\n    type: terminal\n    timeout: {seconds: 1, destination: a}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n",
			want: errAt(engine.CodeTerminalHasTrans, "states[1].timeout", 5, 14),
		},
		{
			name: "parallel state without regions",
			text: "states:\n  - {name: a, type: initial}\n  - {name: p, type: parallel}\ntransitions:\n  - {trigger: go, source: a, dest: p}\n",
			want: errAt(engine.CodeInvalidParallel, "states[1]", 3, 5),
		},
		{
			name: "regions on a stable state",
			text: "states:\n  - {name: a, type: initial}\n  - name: p\n    type: stable\n    regions: [{name: r, initial: x, states: [x]}]\n  - {name: x, parent: p}\ntransitions:\n  - {trigger: go, source: a, dest: p}\n",
			want: errAt(engine.CodeInvalidParallel, "states[1].regions", 5, 14),
		},
		{
			name: "region state with another parent",
			text: parallelText("      - {name: r1, initial: x, states: [x]}\n      - {name: r2, initial: y, states: [y]}\n", "  - {name: y}\n"),
			want: errAt(engine.CodeInvalidParallel, "states[1].regions[1].states[0]", 7, 41),
		},
		{
			name: "nested parallel states",
			text: "states:\n  - {name: a, type: initial}\n" +
				"  - {name: outer, type: parallel, regions: [{name: r, initial: inner, states: [inner]}]}\n" +
				"  - {name: inner, parent: outer, type: parallel, regions: [{name: q, initial: x, states: [x]}]}\n" +
				"  - {name: x, parent: inner}\n" +
				"transitions:\n  - {trigger: go, source: a, dest: outer}\n",
			want: errAt(engine.CodeInvalidParallel, "states[2]", 4, 5),
		},
		{
			name: "transition names a region its parallel state lacks",
			text: parallelText("      - {name: r1, initial: x, states: [x]}\n      - {name: r2, initial: y, states: [y]}\n", "") +
				"  - {trigger: t, source: x, dest: x, region: r9}\n",
			want: errAt(engine.CodeUnknownRegion, "transitions[1].region", 12, 46),
		},
		{
			// The column is that of the offending token inside the expression.
			name: "named guard expression that does not parse",
			text: "guards:\n  is_full: \"fill_qty >= )\"\nstates:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: a, guards: [is_full]}\n",
			want: errAt(engine.CodeInvalidExpression, "guards.is_full", 2, 25),
		},
		{
			name: "inline guard expression that does not parse",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - trigger: go\n    source: a\n    dest: a\n    guards:\n      - {expr: 'x > 1 and and y'}\n",
			want: errAt(engine.CodeInvalidExpression, "transitions[0].guards[0]", 8, 27),
		},
		{
			name: "unparseable after",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {source: a, dest: a, after: 5 parsecs}\n",
			want: errAt(engine.CodeInvalidDelay, "transitions[0].after", 4, 33),
		},
		{
			name: "negative after",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {source: a, dest: a, after: -5}\n",
			want: errAt(engine.CodeInvalidDelay, "transitions[0].after", 4, 33),
		},
		{
			name: "after without trigger and with several sources",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n  - {source: [a, b], dest: a, after: 1s}\n",
			want: errAt(engine.CodeInvalidDelay, "transitions[1].after", 6, 38),
		},
		{
			name: "timeout of zero seconds",
			text: "states:\n  - name: a\n    type: initial\n    timeout: {seconds: 0, destination: a}\ntransitions: []\n",
			want: errAt(engine.CodeInvalidTimeout, "states[0].timeout.seconds", 4, 24),
		},
		{
			name: "timeout without destination",
			text: "states:\n  - name: a\n    type: initial\n    timeout:\n      seconds: 3\ntransitions: []\n",
			want: errAt(engine.CodeInvalidTimeout, "states[0].timeout", 5, 7),
		},
		{
			name: "text larger than 512 KiB",
			text: "states:\n  - {name: a, type: initial}\ntransitions: []\n" + strings.Repeat("# padding\n", 52_500),
			want: errAt(engine.CodeLimitExceeded, "", 0, 0),
		},
		{
			name: "text larger than a configured limit",
			text: "states:\n  - {name: a, type: initial}\ntransitions: []\n",
			opts: []engine.Option{engine.WithLimits(engine.Limits{MaxTextBytes: 16})},
			want: errAt(engine.CodeLimitExceeded, "", 0, 0),
		},
		{
			name: "more than 5000 states",
			text: manyStates(5001),
			want: errAt(engine.CodeLimitExceeded, "states", 2, 3),
		},
		{
			name: "more than a configured number of transitions",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: x, source: a, dest: a}\n  - {trigger: y, source: a, dest: a}\n",
			opts: []engine.Option{engine.WithLimits(engine.Limits{MaxTransitions: 1})},
			want: errAt(engine.CodeLimitExceeded, "transitions", 4, 3),
		},
		{
			name: "expression longer than 1000 characters",
			text: "guards:\n  long: \"" + strings.Repeat("x + ", 250) + "x > 0\"\nstates:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: a, guards: [long]}\n",
			want: errAt(engine.CodeLimitExceeded, "guards.long", 2, 9),
		},
		{
			// A billion laughs document under a key the engine ignores: nine
			// levels of nine aliases. It is refused before anything expands it,
			// at the alias where the expansion passes the limit.
			name: "alias bomb under an unknown root key",
			text: aliasBomb() + "states:\n  - {name: a, type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeLimitExceeded, "l6[0]", 7, 10),
		},
		{
			name: "alias bomb kept as state metadata",
			text: aliasBomb() + "states:\n  - {name: a, type: initial, extra: *l8}\ntransitions: []\n",
			want: errAt(engine.CodeLimitExceeded, "l6[0]", 7, 10),
		},
		{
			name: "alias bomb with a lower node limit",
			text: "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nstates:\n  - {name: s, type: initial, extra: *b}\ntransitions: []\n",
			opts: []engine.Option{engine.WithLimits(engine.Limits{MaxNodes: 20})},
			want: errAt(engine.CodeLimitExceeded, "b[2]", 2, 16),
		},

		// ---- warnings ----
		{
			name: "unreachable state",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\n  - {name: orphan, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n",
			want: warnAt(engine.CodeUnreachableState, "states[2]", 4, 5),
		},
		{
			name: "dead end",
			text: "states:\n  - {name: a, type: initial}\n  - {name: stuck}\ntransitions:\n  - {trigger: go, source: a, dest: stuck}\n",
			want: warnAt(engine.CodeDeadEndState, "states[1]", 3, 5),
		},
		{
			name: "shadowed transition",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\n  - {name: c, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n  - {trigger: go, source: a, dest: c}\n",
			want: warnAt(engine.CodeShadowedTransition, "transitions[1]", 7, 5),
		},
		{
			name: "unbound guard",
			text: "states:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b, guards: [is_ready]}\n",
			want: warnAt(engine.CodeUnboundGuard, "transitions[0].guards[0]", 5, 48),
		},
		{
			name: "unused guard",
			text: "guards:\n  never_used: \"x > 1\"\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n",
			want: warnAt(engine.CodeUnusedGuard, "guards.never_used", 2, 15),
		},
		{
			name: "unused event",
			text: "events:\n  - {name: ping}\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n",
			want: warnAt(engine.CodeUnusedEvent, "events[0]", 2, 5),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, problems, err := engine.Load([]byte(tc.text), tc.opts...)
			if !containsWhere(problems, tc.want) {
				t.Fatalf("want problem %+v\ngot:\n%s", tc.want, listProblems(problems))
			}
			for _, p := range problems {
				if p.Code == "" || p.Message == "" || (p.Severity != engine.SeverityError && p.Severity != engine.SeverityWarning) {
					t.Errorf("incomplete problem %+v", p)
				}
			}
			if tc.want.Severity == engine.SeverityError {
				if m != nil || !errors.Is(err, engine.ErrInvalidMachine) {
					t.Errorf("Load = %v, %v; want no machine and ErrInvalidMachine", m, err)
				}
				var ve *engine.ValidationError
				if !errors.As(err, &ve) || !reflect.DeepEqual(ve.Problems, problems) {
					t.Errorf("the error does not carry the problems: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("a warning must not stop the load: %v", err)
			}
			if !containsWhere(m.Warnings(), tc.want) {
				t.Errorf("Machine.Warnings() = %v, want it to hold %+v", m.Warnings(), tc.want)
			}
		})
	}
}

func containsWhere(ps engine.Problems, want where) bool {
	for _, p := range ps {
		if whereOf(p) == want {
			return true
		}
	}
	return false
}

func listProblems(ps engine.Problems) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %+v\n", whereOf(p))
	}
	return b.String()
}

// parallelText is a machine with a parallel state "run" (states[1]) whose
// regions are given as text (lines 6 and 7 when there are two); extraStates
// go after x and y. Its transitions start on line 11 (plus extra lines).
func parallelText(regions, extraStates string) string {
	states := "  - {name: x, parent: run}\n  - {name: y, parent: run}\n"
	if extraStates != "" {
		states = "  - {name: x, parent: run}\n" + extraStates
	}
	return "states:\n  - {name: idle, type: initial}\n  - name: run\n    type: parallel\n    regions:\n" + regions +
		states + "transitions:\n  - {trigger: go, source: idle, dest: run}\n"
}

// manyStates is a valid chain of n states.
func manyStates(n int) string {
	var b strings.Builder
	b.WriteString("states:\n  - {name: s0, type: initial}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: s%d}\n", i)
	}
	b.WriteString("transitions:\n")
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, "  - {trigger: next, source: s%d, dest: s%d}\n", i, i+1)
	}
	return b.String()
}

// aliasBomb is the "billion laughs": l0 has nine scalars, each next level nine
// aliases of the previous one, so l8 expands to 9^9 (387 million) scalars.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// TestValidationReportsEverything checks that validation does not stop at the
// first problem: one machine with several mistakes reports each of them.
func TestValidationReportsEverything(t *testing.T) {
	text := `meta: {machine_name: broken}
guards:
  bad: "x >"
states:
  - {name: start, type: initial}
  - {name: Start}
  - {name: done, type: final}
  - {name: start}
  - {name: child, parent: nobody}
transitions:
  - {trigger: go, source: start, dest: nowhere}
  - {trigger: go, source: ghost, dest: done, after: soon}
  - {trigger: Go, source: start, dest: done}
`
	_, problems, err := engine.Load([]byte(text))
	if !errors.Is(err, engine.ErrInvalidMachine) {
		t.Fatalf("err = %v, want ErrInvalidMachine", err)
	}
	want := []where{
		errAt(engine.CodeInvalidExpression, "guards.bad", 3, 11),
		errAt(engine.CodeInvalidName, "states[1].name", 6, 12),
		errAt(engine.CodeInvalidStateType, "states[2].type", 7, 24),
		errAt(engine.CodeDuplicateState, "states[3].name", 8, 12),
		errAt(engine.CodeUnknownState, "states[4].parent", 9, 27),
		errAt(engine.CodeUnknownState, "transitions[0].dest", 11, 40),
		errAt(engine.CodeUnknownState, "transitions[1].source", 12, 27),
		errAt(engine.CodeInvalidDelay, "transitions[1].after", 12, 53),
		errAt(engine.CodeInvalidName, "transitions[2].trigger", 13, 15),
	}
	var got []where
	for _, p := range problems.Errors() {
		got = append(got, whereOf(p))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors, in text order:\ngot:\n%swant:\n%v", listProblems(problems.Errors()), want)
	}
}

// TestYAML12Names checks that on, off, yes and no are names (YAML 1.2), not
// booleans as in pystator's YAML 1.1 reader.
func TestYAML12Names(t *testing.T) {
	text := `states:
  - {name: off, type: initial}
  - {name: on}
  - {name: yes}
  - {name: no, type: terminal}
transitions:
  - {trigger: on, source: off, dest: on}
  - {trigger: yes, source: on, dest: yes}
  - {trigger: no, source: [on, yes], dest: no}
`
	m := mustLoad(t, text)
	if got, want := m.StateNames(), []string{"off", "on", "yes", "no"}; !reflect.DeepEqual(got, want) {
		t.Errorf("StateNames() = %v, want %v", got, want)
	}
	tests := []struct {
		name, state, trigger, want string
	}{
		{name: "off to on", state: "off", trigger: "on", want: "on"},
		{name: "on to yes", state: "on", trigger: "yes", want: "yes"},
		{name: "yes to no", state: "yes", trigger: "no", want: "no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := m.Process(tc.state, tc.trigger, nil)
			if !res.Success || res.TargetState != tc.want {
				t.Errorf("Process(%q, %q) = %v %q (%v), want %q", tc.state, tc.trigger, res.Success, res.TargetState, res.Err(), tc.want)
			}
		})
	}
}

// TestUnknownKeysAreMetadata checks that keys the format does not know are kept
// as metadata of their state or transition, never an error.
func TestUnknownKeysAreMetadata(t *testing.T) {
	text := `meta: {machine_name: kept, owner: ops}
states:
  - {name: a, type: initial, color: red, ui: {x: 10, y: 20}}
  - {name: b, type: terminal}
transitions:
  - {trigger: go, source: a, dest: b, sla_ms: 250, tags: [fast, cheap]}
`
	m, problems, err := engine.Load([]byte(text))
	if err != nil || len(problems) != 0 {
		t.Fatalf("Load: %v %v", err, problems)
	}
	def := m.Definition()
	tests := []struct {
		name string
		got  any
		want any
	}{
		{name: "meta", got: def.Meta.Extra, want: map[string]any{"owner": "ops"}},
		{name: "state", got: def.States[0].Metadata, want: map[string]any{"color": "red", "ui": map[string]any{"x": 10, "y": 20}}},
		{name: "state without extra keys", got: def.States[1].Metadata, want: map[string]any(nil)},
		{name: "transition", got: def.Transitions[0].Metadata, want: map[string]any{"sla_ms": 250, "tags": []any{"fast", "cheap"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("got %#v, want %#v", tc.got, tc.want)
			}
		})
	}
}
