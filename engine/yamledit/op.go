package yamledit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Kind names a visual edit (SPEC 7.1).
type Kind string

// The visual edits of SPEC 7.1.
const (
	AddState         Kind = "add_state"
	AddTransition    Kind = "add_transition"
	RenameState      Kind = "rename_state"
	RenameTrigger    Kind = "rename_trigger"
	DeleteState      Kind = "delete_state"
	SetInitial       Kind = "set_initial"
	SetParent        Kind = "set_parent"
	UpdateTransition Kind = "update_transition"
)

// Op is one visual edit, shaped like the `op` of POST /api/v1/edit. Which
// fields a kind takes:
//
//	add_state          name, type?, parent?
//	add_transition     trigger, source, dest
//	rename_state       from, to
//	rename_trigger     from, to
//	delete_state       name
//	set_initial        name
//	set_parent         name, parent ("" moves the state to the top level)
//	update_transition  index, trigger?, guards?, actions?
//
// For update_transition an empty trigger and nil guards or actions leave
// them as they are; an empty (non-nil) list removes them.
//
// What each kind does (besides loading the result, see Apply):
//   - add_state appends {name, type, parent} at the end of `states`; type is
//     stable (written only when given), initial, terminal or error; parallel
//     and a parallel parent are refused (regions are not written).
//   - add_transition appends {trigger, source, dest} at the end of
//     `transitions` (`transitions: []` or empty becomes a list); both
//     states must exist.
//   - rename_state rewrites every state reference: entries' name, parent,
//     initial_child, timeout destination, regions' initial and states,
//     transitions' source and dest, error_policy.default_fallback.
//   - rename_trigger rewrites transitions' trigger and events' name; the new
//     trigger must not be used already.
//   - delete_state removes the entry, the transitions to the state and
//     those whose only source it is, the name from other source lists and
//     region lists, timeouts leading to it and an initial_child naming it;
//     refused for a state with children, the only root initial state, a
//     region's initial state and error_policy.default_fallback.
//   - set_initial makes the state the one entered first at its level: at
//     the top its type becomes initial and every other top-level initial
//     state's becomes stable (only a stable or initial state qualifies);
//     in a compound state it becomes the parent's initial_child; in a
//     parallel state its region's initial.
//   - set_parent sets, adds or (with no parent) removes `parent`; a cycle
//     and a parallel parent are refused; leaving a parallel state removes
//     the state from its region (refused when it is the region's initial),
//     and the old parent's initial_child naming it is removed.
//   - update_transition rewrites the trigger; guards and actions keep the
//     written items that stay (with their comments) and insert or remove
//     the others.
type Op struct {
	Kind    Kind     `json:"kind"`
	Name    string   `json:"name,omitempty"`
	Type    string   `json:"type,omitempty"`
	Parent  string   `json:"parent,omitempty"`
	Trigger string   `json:"trigger,omitempty"`
	Source  string   `json:"source,omitempty"`
	Dest    string   `json:"dest,omitempty"`
	From    string   `json:"from,omitempty"`
	To      string   `json:"to,omitempty"`
	Index   *int     `json:"index,omitempty"`
	Guards  []Guard  `json:"guards,omitzero"`
	Actions []Action `json:"actions,omitzero"`
}

// Guard is one guard of a transition: a name, or an inline expression. In
// JSON it is a string (the name) or {"name"} or {"expr"}.
type Guard struct {
	Name string `json:"name,omitempty"`
	Expr string `json:"expr,omitempty"`
}

// UnmarshalJSON reads "name", {"name": ...} or {"expr": ...}; anything else
// is an *Error wrapping ErrOp.
func (g *Guard) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		*g = Guard{Name: s}
		return nil
	}
	type plain Guard
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return refuse(ErrOp, UpdateTransition, "guards", `a guard is a name ("is_open") or {"expr": "qty > 0"}`)
	}
	*g = Guard(p)
	return nil
}

// MarshalJSON writes a named guard as its name.
func (g Guard) MarshalJSON() ([]byte, error) {
	if g.Expr == "" {
		return json.Marshal(g.Name)
	}
	type plain Guard
	return json.Marshal(plain(g))
}

// Action is one action of a transition: a name with optional parameters. In
// JSON it is a string (the name) or {"name", "params"}.
type Action struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params,omitempty"`
}

// UnmarshalJSON reads "name" or {"name": ..., "params": {...}}; anything
// else is an *Error wrapping ErrOp.
func (a *Action) UnmarshalJSON(b []byte) error {
	if s, ok := jsonString(b); ok {
		*a = Action{Name: s}
		return nil
	}
	type plain Action
	var p plain
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return refuse(ErrOp, UpdateTransition, "actions", `an action is a name ("notify") or {"name": "notify", "params": {...}}`)
	}
	*a = Action(p)
	return nil
}

// MarshalJSON writes an action without params as its name.
func (a Action) MarshalJSON() ([]byte, error) {
	if len(a.Params) == 0 {
		return json.Marshal(a.Name)
	}
	type plain Action
	return json.Marshal(plain(a))
}

func jsonString(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

var nameRe = regexp.MustCompile(`^[a-z0-9_]+$`)

// validName is the naming rule of SPEC 1.
func validName(s string) bool { return nameRe.MatchString(s) }

// fields lists, per kind, the op fields it takes; required ones first.
var fields = map[Kind]struct{ required, optional []string }{
	AddState:         {[]string{"name"}, []string{"type", "parent"}},
	AddTransition:    {[]string{"trigger", "source", "dest"}, nil},
	RenameState:      {[]string{"from", "to"}, nil},
	RenameTrigger:    {[]string{"from", "to"}, nil},
	DeleteState:      {[]string{"name"}, nil},
	SetInitial:       {[]string{"name"}, nil},
	SetParent:        {[]string{"name"}, []string{"parent"}},
	UpdateTransition: {[]string{"index"}, []string{"trigger", "guards", "actions"}},
}

// given lists the op's fields that are set, besides kind.
func (op Op) given() map[string]bool {
	set := map[string]bool{}
	for name, ok := range map[string]bool{
		"name": op.Name != "", "type": op.Type != "", "parent": op.Parent != "",
		"trigger": op.Trigger != "", "source": op.Source != "", "dest": op.Dest != "",
		"from": op.From != "", "to": op.To != "", "index": op.Index != nil,
		"guards": op.Guards != nil, "actions": op.Actions != nil,
	} {
		if ok {
			set[name] = true
		}
	}
	return set
}

// check verifies the op on its own, before the text is read: a known kind,
// its required fields, no field it does not take, and new names that follow
// the naming rule.
func (op Op) check() error {
	f, ok := fields[op.Kind]
	if !ok {
		kinds := make([]string, 0, len(fields))
		for k := range fields {
			kinds = append(kinds, string(k))
		}
		sort.Strings(kinds)
		if op.Kind == "" {
			return refuse(ErrOp, op.Kind, "kind", "the op needs a kind: one of %s", strings.Join(kinds, ", "))
		}
		return refuse(ErrOp, op.Kind, "kind", "unknown op kind %q; use one of %s", op.Kind, strings.Join(kinds, ", "))
	}
	given := op.given()
	takes := append(append([]string{}, f.required...), f.optional...)
	for _, name := range []string{"name", "type", "parent", "trigger", "source", "dest", "from", "to", "index", "guards", "actions"} {
		if given[name] && !contains(takes, name) {
			return refuse(ErrOp, op.Kind, name, "%s takes %s; remove %s", op.Kind, strings.Join(takes, ", "), name)
		}
	}
	for _, name := range f.required {
		if !given[name] {
			return refuse(ErrOp, op.Kind, name, "%s needs %s (it takes %s)", op.Kind, name, strings.Join(takes, ", "))
		}
	}
	switch op.Kind {
	case AddState:
		return checkName(op.Kind, "name", "state", op.Name)
	case AddTransition:
		return checkName(op.Kind, "trigger", "trigger", op.Trigger)
	case RenameState:
		return checkName(op.Kind, "to", "state", op.To)
	case RenameTrigger:
		return checkName(op.Kind, "to", "trigger", op.To)
	case UpdateTransition:
		if op.Trigger == "" && op.Guards == nil && op.Actions == nil {
			return refuse(ErrOp, op.Kind, "", "update_transition changes nothing: give trigger, guards or actions")
		}
		if op.Trigger != "" {
			if err := checkName(op.Kind, "trigger", "trigger", op.Trigger); err != nil {
				return err
			}
		}
		for i, g := range op.Guards {
			field := fmt.Sprintf("guards[%d]", i)
			switch {
			case g.Name != "" && g.Expr != "":
				return refuse(ErrOp, op.Kind, field, "a guard is a name or an expression, not both")
			case g.Expr != "":
				if strings.TrimSpace(g.Expr) == "" {
					return refuse(ErrOp, op.Kind, field, "the guard's expression is empty")
				}
			default:
				if err := checkName(op.Kind, field, "guard", g.Name); err != nil {
					return err
				}
			}
		}
		for i, a := range op.Actions {
			if err := checkName(op.Kind, fmt.Sprintf("actions[%d]", i), "action", a.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkName(op Kind, field, what, name string) error {
	if name == "" {
		return refuse(ErrOp, op, field, "the %s name is empty", what)
	}
	if !validName(name) {
		return refuse(ErrInvalidName, op, field, "the %s name %q must use only lowercase letters, digits and underscores%s", what, name, nameHint(name))
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
