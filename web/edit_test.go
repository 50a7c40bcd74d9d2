package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// editMachine has a comment on every line, flow and block entries.
const editMachine = `# a door
meta:  # about it
  machine_name: door  # name
states:  # states
  - {name: closed, type: initial}  # start
  - name: open  # block entry
    on_enter: [log]  # flow list
  - {name: broken, type: terminal}  # end
transitions:  # transitions
  - {trigger: open_door, source: closed, dest: open}  # open it
  - trigger: close_door  # close it
    source: [open]  # flow sources
    dest: closed  # back
  - {trigger: kick, source: [closed, open], dest: broken}  # break it
`

// TestEditAPI makes each visual edit through the real server: the answer
// is the edited text, it validates, and every comment the edit did not
// remove is still there.
func TestEditAPI(t *testing.T) {
	base, _ := testServer(t)
	crlf := strings.ReplaceAll(editMachine, "\n", "\r\n")
	jsonText := `{"meta": {"machine_name": "door"}, "states": [{"name": "closed", "type": "initial"}, {"name": "open"}], "transitions": [{"trigger": "open_door", "source": "closed", "dest": "open"}]}`
	tests := []struct {
		name     string
		text     string
		op       map[string]any
		want     []string // parts of the answer
		gone     []string // parts no longer in it
		comments int      // comments lost
	}{
		{name: "add state", text: editMachine, op: map[string]any{"kind": "add_state", "name": "ajar", "parent": "open"},
			want: []string{"  - {name: broken, type: terminal}  # end\n  - {name: ajar, parent: open}\ntransitions:"}},
		{name: "add transition", text: editMachine, op: map[string]any{"kind": "add_transition", "trigger": "fix", "source": "open", "dest": "closed"},
			want: []string{"# break it\n  - {trigger: fix, source: open, dest: closed}\n"}},
		{name: "rename state", text: editMachine, op: map[string]any{"kind": "rename_state", "from": "open", "to": "ajar"},
			want: []string{"  - name: ajar  # block entry\n", "dest: ajar}  # open it", "source: [ajar]  # flow sources", "source: [closed, ajar]"}, gone: []string{"open,", "open]", "open}"}},
		{name: "rename trigger", text: editMachine, op: map[string]any{"kind": "rename_trigger", "from": "kick", "to": "smash"},
			want: []string{"{trigger: smash, source"}},
		{name: "delete state", text: editMachine, op: map[string]any{"kind": "delete_state", "name": "open"},
			want: []string{"{trigger: kick, source: [closed], dest: broken}  # break it"}, gone: []string{"name: open", "open_door", "close_door", "on_enter"}, comments: 6},
		{name: "set initial", text: editMachine, op: map[string]any{"kind": "set_initial", "name": "open"},
			want: []string{"{name: closed, type: stable}  # start", "  - name: open  # block entry\n    type: initial\n    on_enter"}},
		{name: "set parent", text: editMachine, op: map[string]any{"kind": "set_parent", "name": "broken", "parent": "open"},
			want: []string{"{name: broken, type: terminal, parent: open}  # end"}},
		{name: "update transition", text: editMachine, op: map[string]any{"kind": "update_transition", "index": 1, "trigger": "shut", "guards": []any{"is_clear", map[string]any{"expr": "force < 3"}}, "actions": []any{map[string]any{"name": "notify", "params": map[string]any{"to": "ops"}}}},
			want: []string{"  - trigger: shut  # close it\n", "    dest: closed  # back\n    guards: [is_clear, {expr: \"force < 3\"}]\n    actions: [{name: notify, params: {to: ops}}]\n"}},
		{name: "CRLF stays CRLF", text: crlf, op: map[string]any{"kind": "add_transition", "trigger": "fix", "source": "open", "dest": "closed"},
			want: []string{"# break it\r\n  - {trigger: fix, source: open, dest: closed}\r\n"}},
		{name: "JSON stays JSON", text: jsonText, op: map[string]any{"kind": "add_state", "name": "ajar"},
			want: []string{`{"name": "open"}, {"name": "ajar"}]`}},
		{name: "a no-op answers the text", text: editMachine, op: map[string]any{"kind": "rename_state", "from": "open", "to": "open"},
			want: []string{editMachine}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, "POST", base+"/api/v1/edit", map[string]any{"yaml": tc.text, "op": tc.op})
			wantStatus(t, r, http.StatusOK)
			got, _ := r.json(t)["yaml"].(string)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("the answer lacks %q:\n%s", w, got)
				}
			}
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("the answer still has %q:\n%s", g, got)
				}
			}
			if lost := strings.Count(tc.text, "#") - strings.Count(got, "#"); lost != tc.comments {
				t.Errorf("%d comments lost, want %d:\n%s", lost, tc.comments, got)
			}
			v := call(t, "POST", base+"/api/v1/validate", map[string]any{"yaml": got})
			wantStatus(t, v, http.StatusOK)
			if v.json(t)["valid"] != true {
				t.Errorf("the edited text does not validate: %s", v.body)
			}
		})
	}
}

// TestEditRefusals: every refused edit is a 400 problem that says what to
// fix: a code, the op's field at fault, or the problems of the machine.
func TestEditRefusals(t *testing.T) {
	base, _ := testServer(t)
	body := func(text string, op string) string {
		return fmt.Sprintf(`{"yaml": %q, "op": %s}`, text, op)
	}
	anchored := "states:\n  - {name: a, type: initial}\n  - {name: b}\ntransitions:\n  - &t {trigger: go, source: a, dest: b}\n  - *t\n"
	tests := []struct {
		name    string
		body    string
		status  int
		code    string // the problem's code
		field   string // the op field at fault
		problem string // a code among the problems (errors)
		line    bool   // the problem has a line
		detail  string
	}{
		{name: "unknown state", body: body(editMachine, `{"kind": "rename_state", "from": "opne", "to": "x"}`), status: 400, code: "unknown_state", field: "from", detail: `did you mean "open"`},
		{name: "a name that breaks the rule", body: body(editMachine, `{"kind": "add_state", "name": "Half Open"}`), status: 400, code: "invalid_name", field: "name", detail: `try "half_open"`},
		{name: "a name that exists", body: body(editMachine, `{"kind": "rename_state", "from": "open", "to": "closed"}`), status: 400, code: "name_taken", field: "to", detail: "choose another name"},
		{name: "the only initial state", body: body(editMachine, `{"kind": "delete_state", "name": "closed"}`), status: 400, code: "initial_state", field: "name", detail: "set_initial"},
		{name: "a parent cycle", body: body("states:\n  - {name: a, type: initial}\n  - {name: b}\n  - {name: c, parent: b}\ntransitions: []\n", `{"kind": "set_parent", "name": "b", "parent": "c"}`), status: 400, code: "parent_cycle", field: "parent", detail: "b > c"},
		{name: "a transition that does not exist", body: body(editMachine, `{"kind": "update_transition", "index": 9, "trigger": "x"}`), status: 400, code: "unknown_transition", field: "index", detail: "index 0 to 2"},
		{name: "an alias would change two transitions", body: body(anchored, `{"kind": "update_transition", "index": 1, "trigger": "run"}`), status: 400, code: "shared_text", detail: "&t"},
		{name: "an invalid result", body: body(editMachine, `{"kind": "add_transition", "trigger": "x", "source": "broken", "dest": "open"}`), status: 400, code: "invalid_machine", problem: "terminal_has_transitions"},
		{name: "a text that does not parse", body: body("states: [\n  - a\n", `{"kind": "add_state", "name": "x"}`), status: 400, code: "invalid_machine", problem: "syntax_error", line: true},
		{name: "a text over 512 KiB", body: body(strings.Repeat("#", 600<<10), `{"kind": "add_state", "name": "x"}`), status: 400, code: "invalid_machine", problem: "limit_exceeded"},
		{name: "unknown kind", body: body(editMachine, `{"kind": "paint"}`), status: 400, code: "invalid_op", field: "kind", detail: "add_state"},
		{name: "a field the kind does not take", body: body(editMachine, `{"kind": "delete_state", "name": "open", "to": "x"}`), status: 400, code: "invalid_op", field: "to", detail: "remove to"},
		{name: "a bad guard", body: body(editMachine, `{"kind": "update_transition", "index": 0, "guards": [{"exp": "x"}]}`), status: 400, code: "invalid_op", field: "guards", detail: "expr"},
		{name: "an unknown op field", body: body(editMachine, `{"kind": "add_state", "state": "x"}`), status: 400, detail: `unknown field "state"`},
		{name: "an index of the wrong type", body: body(editMachine, `{"kind": "update_transition", "index": "1", "trigger": "x"}`), status: 400, detail: "op.index must be a number"},
		{name: "no op", body: fmt.Sprintf(`{"yaml": %q}`, editMachine), status: 400, detail: "op is required"},
		{name: "op not an object", body: body(editMachine, `"add_state"`), status: 400, detail: "op must be an object"},
		{name: "no yaml", body: `{"op": {"kind": "add_state", "name": "x"}}`, status: 400, detail: "yaml is required"},
		{name: "a body over 1 MiB", body: body(strings.Repeat("#", 1<<20), `{"kind": "add_state", "name": "x"}`), status: 413, detail: "1 MiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, "POST", base+"/api/v1/edit", tc.body)
			wantStatus(t, r, tc.status)
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			p := r.json(t)
			if d, _ := p["detail"].(string); !strings.Contains(d, tc.detail) || d == "" || d == "internal error" {
				t.Errorf("detail %q does not say %q", d, tc.detail)
			}
			if tc.code != "" && p["code"] != tc.code {
				t.Errorf("code %v, want %s", p["code"], tc.code)
			}
			if tc.field != "" && p["field"] != tc.field {
				t.Errorf("field %v, want %s", p["field"], tc.field)
			}
			if tc.problem == "" {
				return
			}
			errs, _ := p["errors"].([]any)
			found := false
			for _, e := range errs {
				pe, _ := e.(map[string]any)
				if pe["code"] == tc.problem {
					found = true
					if _, hasLine := pe["line"]; hasLine != tc.line {
						t.Errorf("problem %v: line present %v, want %v", pe, hasLine, tc.line)
					}
				}
			}
			if !found {
				t.Errorf("no %s among the problems: %s", tc.problem, r.body)
			}
		})
	}
}

// TestEditLargeMachine edits a 5,000-state machine (the limit) through
// the API: a correct answer, and a clear refusal for a 5,001st state.
func TestEditLargeMachine(t *testing.T) {
	base, _ := testServer(t)
	var b strings.Builder
	b.WriteString("meta: {machine_name: big}  # generated\nstates:  # many\n  - {name: s0, type: initial}  # start\n")
	for i := 1; i < 5000; i++ {
		fmt.Fprintf(&b, "  - {name: s%d}  # %d\n", i, i)
	}
	b.WriteString("transitions:  # a chain\n")
	for i := 0; i+1 < 5000; i++ {
		fmt.Fprintf(&b, "  - {trigger: next, source: s%d, dest: s%d}  # %d\n", i, i+1, i)
	}
	text := b.String()
	r := call(t, "POST", base+"/api/v1/edit", map[string]any{"yaml": text, "op": map[string]any{"kind": "rename_state", "from": "s2500", "to": "middle"}})
	wantStatus(t, r, http.StatusOK)
	got, _ := r.json(t)["yaml"].(string)
	if strings.Count(got, "middle") != 3 || strings.Contains(got, "s2500,") || strings.Count(got, "#") != strings.Count(text, "#") {
		t.Errorf("the rename is not exactly the three references of s2500")
	}
	r = call(t, "POST", base+"/api/v1/edit", map[string]any{"yaml": text, "op": map[string]any{"kind": "add_state", "name": "extra"}})
	wantStatus(t, r, http.StatusBadRequest)
	if p := r.json(t); p["code"] != "invalid_machine" || !strings.Contains(fmt.Sprint(p["detail"]), "limit is 5000") {
		t.Errorf("a 5,001st state: %s", r.body)
	}
}
