package engine

import "testing"

// TestPathString checks how problem paths are written: keys joined with
// dots, indexes in brackets, the root as "".
func TestPathString(t *testing.T) {
	var root path
	meta := pathOf("meta")
	states := itemOf("states", 3)
	trans := itemOf("transitions", 0)
	guards := trans.field("guards")
	empty := meta.field("")
	guardDefs := pathOf("guards")
	tests := []struct {
		name string
		got  path
		want string
	}{
		{name: "root", got: root, want: ""},
		{name: "top-level key", got: pathOf("states"), want: "states"},
		{name: "key under the root", got: root.field("states"), want: "states"},
		{name: "item of a top-level list", got: states, want: "states[3]"},
		{name: "item under the root", got: root.item(2), want: "[2]"},
		{name: "field of an item", got: states.field("name"), want: "states[3].name"},
		{name: "item of a field", got: guards.item(1), want: "transitions[0].guards[1]"},
		{name: "nested keys", got: meta.field("strict_mode"), want: "meta.strict_mode"},
		{name: "empty key", got: empty.item(0), want: "meta.[0]"},
		{name: "key with a dot", got: guardDefs.field("is.ready"), want: "guards.is.ready"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}
