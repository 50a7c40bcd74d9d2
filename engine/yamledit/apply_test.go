package yamledit

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func idx(i int) *int { return &i }

// goldenCase is one op on one input file; the result is compared with
// testdata/golden/<name> plus the input's extension. With crlf the input's
// line ends become CRLF and the result must keep them (the golden file is
// stored with LF ends).
type goldenCase struct {
	name  string
	input string
	op    Op
	crlf  bool
}

var goldenCases = []goldenCase{
	// block style, a comment on every line
	{name: "add_state_block", input: "block.yaml", op: Op{Kind: AddState, Name: "review"}},
	{name: "add_state_block_parent", input: "block.yaml", op: Op{Kind: AddState, Name: "partial", Type: "stable", Parent: "working"}},
	{name: "add_state_block_crlf", input: "block.yaml", op: Op{Kind: AddState, Name: "review", Type: "error"}, crlf: true},
	{name: "add_transition_block", input: "block.yaml", op: Op{Kind: AddTransition, Trigger: "expire", Source: "open", Dest: "expired"}},
	{name: "rename_state_block", input: "block.yaml", op: Op{Kind: RenameState, From: "pending", To: "queued"}},
	{name: "rename_state_block_crlf", input: "block.yaml", op: Op{Kind: RenameState, From: "pending", To: "queued"}, crlf: true},
	{name: "rename_state_region", input: "block.yaml", op: Op{Kind: RenameState, From: "calm", To: "quiet"}},
	{name: "rename_state_region_block_list", input: "block.yaml", op: Op{Kind: RenameState, From: "low", To: "safe"}},
	{name: "rename_state_timeout_fallback", input: "block.yaml", op: Op{Kind: RenameState, From: "expired", To: "lapsed"}},
	{name: "rename_trigger_block", input: "block.yaml", op: Op{Kind: RenameTrigger, From: "fill", To: "execute"}},
	{name: "delete_state_block", input: "block.yaml", op: Op{Kind: DeleteState, Name: "open"}},
	{name: "delete_state_block_crlf", input: "block.yaml", op: Op{Kind: DeleteState, Name: "open"}, crlf: true},
	{name: "delete_state_initial_child", input: "block.yaml", op: Op{Kind: DeleteState, Name: "pending"}},
	{name: "delete_state_region", input: "block.yaml", op: Op{Kind: DeleteState, Name: "hot"}},
	{name: "delete_state_region_block_list", input: "block.yaml", op: Op{Kind: DeleteState, Name: "high"}},
	{name: "set_initial_block", input: "block.yaml", op: Op{Kind: SetInitial, Name: "working"}},
	{name: "set_initial_child", input: "block.yaml", op: Op{Kind: SetInitial, Name: "open"}},
	{name: "set_initial_region", input: "block.yaml", op: Op{Kind: SetInitial, Name: "high"}},
	{name: "set_parent_block", input: "block.yaml", op: Op{Kind: SetParent, Name: "expired", Parent: "working"}},
	{name: "set_parent_top_level", input: "block.yaml", op: Op{Kind: SetParent, Name: "open"}},
	{name: "set_parent_initial_child", input: "block.yaml", op: Op{Kind: SetParent, Name: "pending"}},
	{name: "set_parent_crlf", input: "block.yaml", op: Op{Kind: SetParent, Name: "pending"}, crlf: true},
	{name: "update_transition_guards_block_list", input: "block.yaml", op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{{Name: "has_qty"}, {Expr: "qty < 500"}, {Name: "is_open"}}}},
	{name: "update_transition_guards_crlf", input: "block.yaml", op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{{Name: "is_open"}, {Name: "has_qty"}}}, crlf: true},
	{name: "update_transition_actions_flow_list", input: "block.yaml", op: Op{Kind: UpdateTransition, Index: idx(0), Actions: []Action{{Name: "send"}}}},
	{name: "update_transition_new_keys", input: "block.yaml", op: Op{Kind: UpdateTransition, Index: idx(1), Guards: []Guard{{Name: "has_qty"}}, Actions: []Action{{Name: "notify", Params: map[string]any{"to": "ops", "n": 2.0, "x-y": "a b"}}}}},
	{name: "update_transition_trigger", input: "block.yaml", op: Op{Kind: UpdateTransition, Index: idx(4), Trigger: "warm"}},
	{name: "update_transition_replace_block_list", input: "block.yaml", op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{{Name: "ready"}, {Name: "steady"}}}},
	{name: "update_transition_remove_guards", input: "block.yaml", op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{}, Actions: []Action{}}},

	// flow entries in block lists, a multi-line flow mapping
	{name: "add_state_flow", input: "flow.yaml", op: Op{Kind: AddState, Name: "paused", Parent: "active"}},
	{name: "add_transition_flow", input: "flow.yaml", op: Op{Kind: AddTransition, Trigger: "pause", Source: "scanning", Dest: "idle"}},
	{name: "rename_state_flow", input: "flow.yaml", op: Op{Kind: RenameState, From: "scanning", To: "searching"}},
	{name: "delete_state_flow", input: "flow.yaml", op: Op{Kind: DeleteState, Name: "analyzing"}},
	{name: "delete_state_flow_initial_child", input: "flow.yaml", op: Op{Kind: DeleteState, Name: "scanning"}},
	{name: "set_initial_flow", input: "flow.yaml", op: Op{Kind: SetInitial, Name: "active"}},
	{name: "set_parent_flow", input: "flow.yaml", op: Op{Kind: SetParent, Name: "analyzing"}},
	{name: "update_transition_flow", input: "flow.yaml", op: Op{Kind: UpdateTransition, Index: idx(1), Guards: []Guard{{Name: "strong"}, {Name: "weak"}}, Actions: []Action{}}},
	{name: "update_transition_flow_multiline", input: "flow.yaml", op: Op{Kind: UpdateTransition, Index: idx(3), Guards: []Guard{{Name: "ready"}}, Trigger: "restart"}},

	// anchors, aliases and merge keys: the anchor's target is edited
	{name: "rename_state_anchor", input: "anchors.yaml", op: Op{Kind: RenameState, From: "idle", To: "waiting"}},
	{name: "rename_state_shared_list", input: "anchors.yaml", op: Op{Kind: RenameState, From: "busy", To: "working"}},
	{name: "rename_trigger_anchor", input: "anchors.yaml", op: Op{Kind: RenameTrigger, From: "go", To: "launch"}},
	{name: "add_state_anchor", input: "anchors.yaml", op: Op{Kind: AddState, Name: "extra"}},
	{name: "delete_state_shared_list", input: "anchors.yaml", op: Op{Kind: DeleteState, Name: "slow"}},
	{name: "delete_state_anchored_transition", input: "anchors.yaml", op: Op{Kind: DeleteState, Name: "busy"}},
	{name: "set_initial_merged_type", input: "anchors.yaml", op: Op{Kind: SetInitial, Name: "busy"}},

	// JSON stays JSON
	{name: "add_state_json_pretty", input: "pretty.json", op: Op{Kind: AddState, Name: "ajar", Type: "stable"}},
	{name: "add_transition_json_pretty", input: "pretty.json", op: Op{Kind: AddTransition, Trigger: "fix", Source: "open", Dest: "closed"}},
	{name: "delete_state_json_pretty", input: "pretty.json", op: Op{Kind: DeleteState, Name: "open"}},
	{name: "rename_state_json_pretty", input: "pretty.json", op: Op{Kind: RenameState, From: "open", To: "ajar"}},
	{name: "update_transition_json_pretty", input: "pretty.json", op: Op{Kind: UpdateTransition, Index: idx(1), Guards: []Guard{}}},
	{name: "update_transition_json_pretty_add", input: "pretty.json", op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{{Expr: `who != "x"`}}}},
	{name: "set_initial_json_pretty", input: "pretty.json", op: Op{Kind: SetInitial, Name: "open"}},
	{name: "set_parent_json_pretty", input: "pretty.json", op: Op{Kind: SetParent, Name: "broken", Parent: "open"}},
	{name: "add_state_json_compact", input: "compact.json", op: Op{Kind: AddState, Name: "ajar"}},
	{name: "add_transition_json_compact", input: "compact.json", op: Op{Kind: AddTransition, Trigger: "fix", Source: "open", Dest: "closed"}},
	{name: "delete_state_json_compact", input: "compact.json", op: Op{Kind: DeleteState, Name: "open"}},
	{name: "update_transition_json_compact", input: "compact.json", op: Op{Kind: UpdateTransition, Index: idx(1), Actions: []Action{{Name: "log"}, {Name: "page", Params: map[string]any{"who": "ops", "n": 2.0}}}}},

	// bare names, quotes, an empty transition list
	{name: "add_state_bare", input: "bare.yaml", op: Op{Kind: AddState, Name: "bright"}},
	{name: "add_transition_bare", input: "bare.yaml", op: Op{Kind: AddTransition, Trigger: "switch_on", Source: "off", Dest: "on"}},
	{name: "rename_state_bare", input: "bare.yaml", op: Op{Kind: RenameState, From: "dim", To: "dimmed"}},
	{name: "set_initial_bare", input: "bare.yaml", op: Op{Kind: SetInitial, Name: "on"}},
	{name: "set_parent_bare", input: "bare.yaml", op: Op{Kind: SetParent, Name: "dim", Parent: "on"}},

	// a whole document in flow style
	{name: "add_state_flowdoc", input: "flowdoc.yaml", op: Op{Kind: AddState, Name: "d"}},
	{name: "add_transition_flowdoc", input: "flowdoc.yaml", op: Op{Kind: AddTransition, Trigger: "back", Source: "c", Dest: "a"}},
	{name: "delete_state_flowdoc", input: "flowdoc.yaml", op: Op{Kind: DeleteState, Name: "b"}},
	{name: "rename_state_flowdoc", input: "flowdoc.yaml", op: Op{Kind: RenameState, From: "a", To: "start"}},
	{name: "set_initial_flowdoc", input: "flowdoc.yaml", op: Op{Kind: SetInitial, Name: "c"}},
}

func readInput(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := engine.Load(data); err != nil {
		t.Fatalf("%s does not load: %v", name, err)
	}
	return string(data)
}

// TestApplyGolden applies each op to its input and compares the result
// with the golden file byte for byte; `go test ./engine/yamledit -update`
// rewrites them. Every result loads, and a CRLF input stays CRLF.
func TestApplyGolden(t *testing.T) {
	want := map[string]bool{}
	for _, tc := range goldenCases {
		file := tc.name + filepath.Ext(tc.input)
		want[file] = true
		t.Run(tc.name, func(t *testing.T) {
			in := readInput(t, tc.input)
			if tc.crlf {
				in = strings.ReplaceAll(in, "\n", "\r\n")
			}
			got, err := Apply(in, tc.op)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got == in {
				t.Fatalf("the text did not change")
			}
			if _, _, err := engine.Load([]byte(got)); err != nil {
				t.Fatalf("the result does not load: %v\n%s", err, got)
			}
			if tc.crlf {
				if strings.Count(got, "\n") != strings.Count(got, "\r\n") {
					t.Fatalf("a line lost its CRLF end:\n%q", got)
				}
				got = strings.ReplaceAll(got, "\r\n", "\n")
			}
			path := filepath.Join("testdata", "golden", file)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			wantText, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./engine/yamledit -run Golden -update` to create it)", err)
			}
			if got != string(wantText) {
				t.Errorf("%s differs from the golden file (run with -update if the change is intended):\n%s", file, diffLines(string(wantText), got))
			}
		})
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			if *update {
				_ = os.Remove(filepath.Join("testdata", "golden", e.Name()))
				continue
			}
			t.Errorf("stale golden file %s (no case writes it; run with -update)", e.Name())
		}
	}
}

// diffLines shows the first differing line of two texts.
func diffLines(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q", i+1, w, g)
		}
	}
	return "(same lines)"
}

// TestApplyKeepsComments checks, for every golden case on a text with a
// comment on every line, that each comment of the input is still in the
// output, in order, unless the edit removed its whole entry.
func TestApplyKeepsComments(t *testing.T) {
	for _, tc := range goldenCases {
		if !strings.HasSuffix(tc.input, ".yaml") {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			in := readInput(t, tc.input)
			got, err := Apply(in, tc.op)
			if err != nil {
				t.Fatal(err)
			}
			before, after := comments(in), comments(got)
			if !subsequence(after, before) {
				t.Fatalf("comments changed order or appeared:\nbefore %q\nafter  %q", before, after)
			}
			switch tc.op.Kind {
			case DeleteState, SetParent, UpdateTransition:
				// entries and keys may go with their lines
			default:
				if len(after) != len(before) {
					t.Fatalf("%d comments lost:\nbefore %q\nafter  %q", len(before)-len(after), before, after)
				}
			}
		})
	}
}

// comments lists the comments of a YAML text (a `#` after a space or at
// the start of a line, outside quotes), one per line.
func comments(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if c := lineComment(line); c != "" {
			out = append(out, c)
		}
	}
	return out
}

func lineComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			if i == 0 || strings.ContainsRune(" \t[{,:-", rune(line[i-1])) {
				quote = c
			}
		case c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return strings.TrimRight(line[i:], "\r")
		}
	}
	return ""
}

// subsequence reports whether sub appears in list in order.
func subsequence(sub, list []string) bool {
	i := 0
	for _, x := range list {
		if i < len(sub) && sub[i] == x {
			i++
		}
	}
	return i == len(sub)
}

// TestApplyLineBreaks: positions agree with yaml.v3's on every line break
// it knows and after a byte order mark, so edits land where they belong.
func TestApplyLineBreaks(t *testing.T) {
	rename := Op{Kind: RenameState, From: "b", To: "bee"}
	tests := []struct {
		name, text, want string
	}{
		{"byte order mark in YAML", "\ufeffstates: [{name: a, type: initial}, {name: b}]\ntransitions: [{trigger: t, source: a, dest: b}]\n",
			"\ufeffstates: [{name: a, type: initial}, {name: bee}]\ntransitions: [{trigger: t, source: a, dest: bee}]\n"},
		{"lone CR line ends", "states:\r  - {name: a, type: initial}\r  - {name: b}\rtransitions:\r  - {trigger: t, source: a, dest: b}\r",
			"states:\r  - {name: a, type: initial}\r  - {name: bee}\rtransitions:\r  - {trigger: t, source: a, dest: bee}\r"},
		{"line separator in a string", "{\"meta\": {\"description\": \"x\u2028y\"}, \"states\": [{\"name\": \"a\", \"type\": \"initial\"}, {\"name\": \"b\"}], \"transitions\": []}",
			"{\"meta\": {\"description\": \"x\u2028y\"}, \"states\": [{\"name\": \"a\", \"type\": \"initial\"}, {\"name\": \"bee\"}], \"transitions\": []}"},
		{"next line in a description", "meta: {description: \"x\u0085y\"}\nstates: [{name: a, type: initial}, {name: b}]\ntransitions: []\n",
			"meta: {description: \"x\u0085y\"}\nstates: [{name: a, type: initial}, {name: bee}]\ntransitions: []\n"},
		{"tabs between tokens", "states:\n  - {name:\ta, type:\tinitial}\n  - {name:\tb}\ntransitions: []\n",
			"states:\n  - {name:\ta, type:\tinitial}\n  - {name:\tbee}\ntransitions: []\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply(tc.text, rename)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}

// TestApplyNoOps: an edit that changes nothing answers the text as it is.
func TestApplyNoOps(t *testing.T) {
	text := readInput(t, "block.yaml")
	for _, op := range []Op{
		{Kind: RenameState, From: "open", To: "open"},
		{Kind: RenameTrigger, From: "fill", To: "fill"},
		{Kind: SetInitial, Name: "draft"},
		{Kind: SetInitial, Name: "pending"},
		{Kind: SetInitial, Name: "calm"},
		{Kind: SetParent, Name: "open", Parent: "working"},
		{Kind: SetParent, Name: "draft"},
		{Kind: UpdateTransition, Index: idx(0), Trigger: "submit", Guards: []Guard{{Name: "has_qty"}, {Expr: "qty < 1000"}},
			Actions: []Action{{Name: "send"}, {Name: "audit", Params: map[string]any{"level": "info"}}}},
		{Kind: UpdateTransition, Index: idx(1), Guards: []Guard{}, Actions: []Action{}},
	} {
		t.Run(string(op.Kind), func(t *testing.T) {
			got, err := Apply(text, op)
			if err != nil || got != text {
				t.Fatalf("%+v: err %v, changed %v", op, err, got != text)
			}
		})
	}
}

// errorCase is an op that must be refused, leaving the text as it was.
type errorCase struct {
	name  string
	text  string // the machine text, or "@file" under testdata
	op    Op
	want  error  // the sentinel; nil for an *InvalidError
	code  string // for an *InvalidError: a problem code it must list
	input bool   // for an *InvalidError: refused because of the input
	msg   string // a part of the message
}

const small = "meta: {machine_name: m}\nstates:\n  - {name: a, type: initial}\n  - {name: b}\n  - {name: c, type: terminal}\ntransitions:\n  - {trigger: go, source: a, dest: b}\n  - {trigger: end, source: b, dest: c}\n"

var errorCases = []errorCase{
	{name: "unknown kind", text: small, op: Op{Kind: "add_stat", Name: "x"}, want: ErrOp, msg: "unknown op kind"},
	{name: "no kind", text: small, op: Op{Name: "x"}, want: ErrOp, msg: "needs a kind"},
	{name: "missing field", text: small, op: Op{Kind: RenameState, From: "a"}, want: ErrOp, msg: "needs to"},
	{name: "field of another kind", text: small, op: Op{Kind: DeleteState, Name: "b", Parent: "a"}, want: ErrOp, msg: "remove parent"},
	{name: "nothing to update", text: small, op: Op{Kind: UpdateTransition, Index: idx(0)}, want: ErrOp, msg: "changes nothing"},
	{name: "guard with name and expr", text: small, op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{{Name: "a", Expr: "x"}}}, want: ErrOp, msg: "not both"},

	{name: "add a state that exists", text: small, op: Op{Kind: AddState, Name: "b"}, want: ErrNameTaken, msg: `"b" exists already`},
	{name: "add a state with a bad name", text: small, op: Op{Kind: AddState, Name: "Big-State"}, want: ErrInvalidName, msg: `try "big_state"`},
	{name: "add a state under an unknown parent", text: small, op: Op{Kind: AddState, Name: "x", Parent: "bb"}, want: ErrUnknownState, msg: `did you mean "b"`},
	{name: "add a parallel state", text: small, op: Op{Kind: AddState, Name: "x", Type: "parallel"}, want: ErrStateType, msg: "needs regions"},
	{name: "add a state of an unknown type", text: small, op: Op{Kind: AddState, Name: "x", Type: "final"}, want: ErrStateType, msg: "unknown state type"},
	{name: "add a second initial state", text: small, op: Op{Kind: AddState, Name: "x", Type: "initial"}, code: engine.CodeMultipleInitialStates},
	{name: "add a state into a parallel state", text: "@block.yaml", op: Op{Kind: AddState, Name: "x", Parent: "monitor"}, want: ErrStateType, msg: "regions"},
	{name: "add a child to a terminal state", text: small, op: Op{Kind: AddState, Name: "x", Parent: "c"}, code: engine.CodeInvalidField},

	{name: "transition from an unknown state", text: small, op: Op{Kind: AddTransition, Trigger: "t", Source: "z", Dest: "a"}, want: ErrUnknownState, msg: `no state "z"`},
	{name: "transition to an unknown state", text: small, op: Op{Kind: AddTransition, Trigger: "t", Source: "a", Dest: "z"}, want: ErrUnknownState},
	{name: "transition with a bad trigger", text: small, op: Op{Kind: AddTransition, Trigger: "Go!", Source: "a", Dest: "b"}, want: ErrInvalidName},
	{name: "transition out of a terminal state", text: small, op: Op{Kind: AddTransition, Trigger: "t", Source: "c", Dest: "a"}, code: engine.CodeTerminalHasTrans},
	{name: "transition without a transitions key", text: "states:\n  - {name: a, type: initial}\n", op: Op{Kind: AddTransition, Trigger: "t", Source: "a", Dest: "a"}, want: ErrUnsupported, msg: "transitions: []"},

	{name: "rename an unknown state", text: small, op: Op{Kind: RenameState, From: "x", To: "y"}, want: ErrUnknownState},
	{name: "rename to a state that exists", text: small, op: Op{Kind: RenameState, From: "a", To: "b"}, want: ErrNameTaken},
	{name: "rename to a bad name", text: small, op: Op{Kind: RenameState, From: "a", To: "A"}, want: ErrInvalidName, msg: `try "a"`},
	{name: "rename an unknown trigger", text: small, op: Op{Kind: RenameTrigger, From: "og", To: "y"}, want: ErrUnknownTrigger, msg: `did you mean "go"`},
	{name: "rename a trigger to one in use", text: small, op: Op{Kind: RenameTrigger, From: "go", To: "end"}, want: ErrNameTaken},
	{name: "rename a name written as a block scalar", text: "states:\n  - name: |-\n      a\n    type: initial\ntransitions: []\n", op: Op{Kind: RenameState, From: "a", To: "b"}, want: ErrUnsupported, msg: "block scalar"},

	{name: "delete an unknown state", text: small, op: Op{Kind: DeleteState, Name: "x"}, want: ErrUnknownState},
	{name: "delete the only initial state", text: small, op: Op{Kind: DeleteState, Name: "a"}, want: ErrInitialState, msg: "set_initial"},
	{name: "delete a state with children", text: "@block.yaml", op: Op{Kind: DeleteState, Name: "working"}, want: ErrHasChildren, msg: "pending, open"},
	{name: "delete a region's initial state", text: "@block.yaml", op: Op{Kind: DeleteState, Name: "calm"}, want: ErrInitialState, msg: `region "price"`},
	{name: "delete the default fallback", text: "@block.yaml", op: Op{Kind: DeleteState, Name: "expired"}, want: ErrInUse, msg: "default_fallback"},

	{name: "initial for an unknown state", text: small, op: Op{Kind: SetInitial, Name: "x"}, want: ErrUnknownState},
	{name: "initial for a terminal state", text: small, op: Op{Kind: SetInitial, Name: "c"}, want: ErrStateType, msg: "terminal"},
	{name: "initial for a parallel state", text: "@block.yaml", op: Op{Kind: SetInitial, Name: "monitor"}, want: ErrStateType, msg: "parallel"},

	{name: "parent cycle", text: "@block.yaml", op: Op{Kind: SetParent, Name: "working", Parent: "pending"}, want: ErrParentCycle, msg: "working > pending"},
	{name: "own parent", text: small, op: Op{Kind: SetParent, Name: "b", Parent: "b"}, want: ErrParentCycle},
	{name: "unknown parent", text: small, op: Op{Kind: SetParent, Name: "b", Parent: "x"}, want: ErrUnknownState},
	{name: "parent is parallel", text: "@block.yaml", op: Op{Kind: SetParent, Name: "filled", Parent: "monitor"}, want: ErrStateType},
	{name: "leave a region as its initial", text: "@block.yaml", op: Op{Kind: SetParent, Name: "calm"}, want: ErrInitialState},
	{name: "move the initial state into a compound", text: "@block.yaml", op: Op{Kind: SetParent, Name: "draft", Parent: "working"}, code: engine.CodeNoInitialState},
	{name: "move into a terminal state", text: small, op: Op{Kind: SetParent, Name: "b", Parent: "c"}, code: engine.CodeInvalidField},

	{name: "transition index out of range", text: small, op: Op{Kind: UpdateTransition, Index: idx(2), Trigger: "x"}, want: ErrUnknownTransition, msg: "index 0 to 1"},
	{name: "negative transition index", text: small, op: Op{Kind: UpdateTransition, Index: idx(-1), Trigger: "x"}, want: ErrUnknownTransition},
	{name: "guard that does not parse", text: small, op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{{Expr: "x >"}}}, code: engine.CodeInvalidExpression},
	{name: "bad guard name", text: small, op: Op{Kind: UpdateTransition, Index: idx(0), Guards: []Guard{{Name: "Bad"}}}, want: ErrInvalidName},
	{name: "bad action name", text: small, op: Op{Kind: UpdateTransition, Index: idx(0), Actions: []Action{{Name: "a b"}}}, want: ErrInvalidName},

	{name: "a text that does not parse", text: "states: [\n  - a\n", op: Op{Kind: AddState, Name: "x"}, code: engine.CodeSyntaxError, input: true},
	{name: "JSON that does not parse", text: `{"states": [}`, op: Op{Kind: AddState, Name: "x"}, code: engine.CodeSyntaxError, input: true},
	{name: "not a mapping", text: "- a\n- b\n", op: Op{Kind: AddState, Name: "x"}, code: engine.CodeInvalidRoot, input: true},
	{name: "an empty text", text: "", op: Op{Kind: AddState, Name: "x"}, code: engine.CodeInvalidRoot, input: true},
	{name: "an entry the engine cannot read", text: "states:\n  - [a]\n  - {name: b, type: initial}\ntransitions: []\n", op: Op{Kind: AddState, Name: "x"}, code: engine.CodeInvalidField, input: true},
	{name: "a text with errors stays refused", text: "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: t, source: a, dest: zz}\n", op: Op{Kind: AddState, Name: "x"}, code: engine.CodeUnknownState},

	{name: "an alias repeats the transition to change", text: "@anchors.yaml", op: Op{Kind: UpdateTransition, Index: idx(1), Trigger: "run"}, want: ErrShared, msg: "&go"},
	{name: "an anchored name used for something else", text: "meta: {machine_name: m, description: *n}\nstates:\n  - {name: &n a, type: initial}\ntransitions: []\n", op: Op{Kind: RenameState, From: "a", To: "b"}, code: engine.CodeSyntaxError, input: true},
	{name: "an anchored name used in meta", text: "states:\n  - {name: &n a, type: initial}\nmeta: {machine_name: m, description: *n}\ntransitions: []\n", op: Op{Kind: RenameState, From: "a", To: "b"}, want: ErrShared, msg: "meta"},
	{name: "a parent from a merge key", text: "base: &kid {parent: a}\nstates:\n  - {name: a, type: initial}\n  - {<<: *kid, name: b}\ntransitions: []\n", op: Op{Kind: SetParent, Name: "b"}, want: ErrShared, msg: "&kid"},
	{name: "deleting an anchor an alias needs", text: "states:\n  - {name: a, type: initial}\n  - {name: b}\ntransitions:\n  - {trigger: t, source: a, dest: b, actions: &acts [x]}\n  - {trigger: u, source: a, dest: a, actions: *acts}\n", op: Op{Kind: DeleteState, Name: "b"}, want: ErrShared, msg: "&acts"},
}

// TestApplyRefuses checks every refusal: its sentinel (or its problems),
// its message, and that the text comes back unchanged.
func TestApplyRefuses(t *testing.T) {
	for _, tc := range errorCases {
		if tc.want == nil && tc.code == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			text := tc.text
			if strings.HasPrefix(text, "@") {
				text = readInput(t, text[1:])
			}
			got, err := Apply(text, tc.op)
			if err == nil {
				t.Fatalf("accepted:\n%s", got)
			}
			if got != text {
				t.Errorf("the text changed on a refusal:\n%s", got)
			}
			if tc.want != nil {
				var e *Error
				if !errors.Is(err, tc.want) || !errors.As(err, &e) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
				if e.Code() == "" || e.Op != tc.op.Kind {
					t.Errorf("code %q, op %q", e.Code(), e.Op)
				}
				if !strings.Contains(e.Message, tc.msg) {
					t.Errorf("message %q does not say %q", e.Message, tc.msg)
				}
				return
			}
			var ie *InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v, want the problems", err)
			}
			if ie.Input != tc.input {
				t.Errorf("Input = %v, want %v", ie.Input, tc.input)
			}
			var ve *engine.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, engine.ErrInvalidMachine) {
				t.Fatalf("%v does not unwrap to a ValidationError", err)
			}
			found := false
			for _, p := range ve.Problems {
				found = found || p.Code == tc.code
				if !tc.input && p.Line != 0 {
					t.Errorf("a problem of the refused result has a line: %v", p)
				}
			}
			if !found {
				t.Errorf("no %s problem in %v", tc.code, ve.Problems)
			}
		})
	}
}
