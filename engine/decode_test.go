package engine_test

import (
	"testing"

	"github.com/statorhq/stator/engine"
	"gopkg.in/yaml.v3"
)

// TestMergeKeys checks that the decoder reads `<<` merge keys as yaml.v3
// itself does: a mapping's own keys override the keys it merges in, at every
// level, and of several merged mappings the first wins.
func TestMergeKeys(t *testing.T) {
	tests := []struct {
		name string
		defs string // anchors, before `states:`
		item string // the second state, merging them in
	}{
		{name: "own key after the merge", defs: "base: &base {type: terminal, description: d}\n", item: "{<<: *base, name: b, type: stable}"},
		{name: "own key before the merge", defs: "base: &base {type: terminal, description: d}\n", item: "{name: b, type: stable, <<: *base}"},
		{name: "a merged mapping's own key over its merge", defs: "base: &base {type: terminal, description: d}\nmid: &mid {<<: *base, type: stable}\n", item: "{<<: *mid, name: b}"},
		{name: "a merged mapping's own key before its merge", defs: "base: &base {type: terminal, description: d}\nmid: &mid {type: stable, <<: *base}\n", item: "{<<: *mid, name: b}"},
		{name: "first of a sequence wins", defs: "x: &x {type: stable}\ny: &y {type: terminal, description: d}\n", item: "{<<: [*x, *y], name: b}"},
		{name: "nested inside a sequence", defs: "base: &base {type: terminal}\nmid: &mid {<<: *base, type: error, description: d}\n", item: "{<<: [*mid, *base], name: b}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := tc.defs + "states:\n  - {name: a, type: initial}\n  - " + tc.item + "\ntransitions:\n  - {trigger: go, source: a, dest: b}\n"
			var doc struct {
				States []struct {
					Type        string `yaml:"type"`
					Description string `yaml:"description"`
				} `yaml:"states"`
			}
			if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
				t.Fatal(err)
			}
			want := doc.States[1]
			def, problems := engine.Check([]byte(text))
			if def == nil || len(def.States) != 2 {
				t.Fatalf("Check: %v", problems)
			}
			if got := def.States[1]; got.Type != want.Type || got.Description != want.Description {
				t.Errorf("type, description = %q, %q; yaml.v3 reads %q, %q", got.Type, got.Description, want.Type, want.Description)
			}
		})
	}
}
