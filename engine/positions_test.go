package engine_test

import (
	"reflect"
	"testing"

	"github.com/statorhq/stator/engine"
)

// TestProblemPlaces checks where problems are placed when the decoder drops
// an item of a list, or when a field is written under another accepted key:
// the path names the item as written and the position is that of the value
// at fault. Each text starts on line 1.
func TestProblemPlaces(t *testing.T) {
	tests := []struct {
		name string
		text string
		want where
	}{
		{
			name: "source after a null item",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: [a, ~, zz], dest: a}\n",
			want: errAt(engine.CodeUnknownState, "transitions[0].source[2]", 4, 34),
		},
		{
			name: "guard after a null item",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: a, guards: [~, Is-Ready]}\n",
			want: errAt(engine.CodeInvalidName, "transitions[0].guards[1]", 4, 51),
		},
		{
			name: "unbound guard after a null item",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: a, guards: [~, is_ready]}\n",
			want: warnAt(engine.CodeUnboundGuard, "transitions[0].guards[1]", 4, 51),
		},
		{
			name: "action after one without a name",
			text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: a, actions: [{params: {x: 1}}, Log-It]}\n",
			want: errAt(engine.CodeInvalidName, "transitions[0].actions[1]", 4, 67),
		},
		{
			name: "state after one that is a list",
			text: "states:\n  - [x]\n  - {name: Bad-Name, type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeInvalidName, "states[1].name", 3, 12),
		},
		{
			name: "event after one without a name",
			text: "events:\n  - {description: nameless}\n  - {name: Bad-Event}\nstates:\n  - {name: a, type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeInvalidName, "events[1].name", 3, 12),
		},
		{
			name: "region after one that is not a mapping",
			text: parallelText("      - just_a_name\n      - {name: r1, initial: x, states: [x, ghost]}\n", ""),
			want: errAt(engine.CodeUnknownState, "states[1].regions[1].states[1]", 7, 44),
		},
		{
			name: "timeout destination written as dest",
			text: "states:\n  - name: a\n    type: initial\n    timeout: {seconds: 5, dest: later}\ntransitions: []\n",
			want: errAt(engine.CodeUnknownState, "states[0].timeout.destination", 4, 33),
		},
		{
			name: "event name written as trigger",
			text: "events:\n  - {trigger: Bad-Event}\nstates:\n  - {name: a, type: initial}\ntransitions: []\n",
			want: errAt(engine.CodeInvalidName, "events[0].name", 2, 15),
		},
		{
			name: "guard name with a dot",
			text: "guards:\n  \"is.ready\": \"x > 1\"\nstates:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: a, guards: [is.ready]}\n",
			want: errAt(engine.CodeInvalidName, "guards.is.ready", 2, 15),
		},
		{
			name: "field merged from a sequence of anchors",
			text: "base: &base {type: begin}\nstates:\n  - {<<: [*base], name: a}\ntransitions: []\n",
			want: errAt(engine.CodeInvalidStateType, "states[0].type", 1, 20),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems, _ := engine.Load([]byte(tc.text))
			if !containsWhere(problems, tc.want) {
				t.Fatalf("want problem %+v\ngot:\n%s", tc.want, listProblems(problems))
			}
		})
	}
}

// TestWithGuardsPlacesWarnings checks that the warnings a machine recomputes
// when its guards are rebound keep their paths and positions.
func TestWithGuardsPlacesWarnings(t *testing.T) {
	text := "guards:\n  unused: \"x > 1\"\nstates:\n  - {name: a, type: initial}\n  - {name: b, type: terminal}\n" +
		"transitions:\n  - {trigger: go, source: a, dest: b, guards: [ready, later]}\n"
	m := mustLoad(t, text)
	reg := engine.NewGuardRegistry().MustRegister("ready", func(engine.Context) bool { return true })
	tests := []struct {
		name string
		m    *engine.Machine
		want []where
	}{
		{
			name: "loaded",
			m:    m,
			want: []where{
				warnAt(engine.CodeUnusedGuard, "guards.unused", 2, 11),
				warnAt(engine.CodeUnboundGuard, "transitions[0].guards[0]", 7, 48),
				warnAt(engine.CodeUnboundGuard, "transitions[0].guards[1]", 7, 55),
			},
		},
		{
			name: "rebound",
			m:    m.WithGuards(reg),
			want: []where{
				warnAt(engine.CodeUnusedGuard, "guards.unused", 2, 11),
				warnAt(engine.CodeUnboundGuard, "transitions[0].guards[1]", 7, 55),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []where
			for _, p := range tc.m.Warnings() {
				got = append(got, whereOf(p))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("warnings:\ngot:  %v\nwant: %v", got, tc.want)
			}
		})
	}
}
