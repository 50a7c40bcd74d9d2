// Package diff compares two versions of a machine: what changed in its
// meaning (states, transitions, guards, meta, variables: SPEC 6's change
// kinds) and in its text (a unified diff of the lines).
package diff

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/statorhq/stator/engine"
)

// Kind is a kind of semantic change (SPEC 6).
type Kind string

// The change kinds.
const (
	StateAdded        Kind = "state_added"
	StateRemoved      Kind = "state_removed"
	StateChanged      Kind = "state_changed"
	TransitionAdded   Kind = "transition_added"
	TransitionRemoved Kind = "transition_removed"
	TransitionChanged Kind = "transition_changed"
	GuardChanged      Kind = "guard_changed"
	MetaChanged       Kind = "meta_changed"
	VariablesChanged  Kind = "variables_changed"
)

// Change is one semantic difference: its kind, what it is about (a state,
// a transition "trigger: source → dest", a guard, a meta field, a variable)
// and a sentence saying how it changed.
type Change struct {
	Kind   Kind   `json:"kind"`
	Name   string `json:"name"`
	Detail string `json:"detail"`
}

// Changes lists what differs between two definitions, in the order of the
// document: meta, variables, guards, states, transitions. Positions,
// comments and formatting are not changes.
func Changes(from, to *engine.Definition) []Change {
	var out []Change
	out = append(out, metaChanges(from, to)...)
	out = append(out, variableChanges(from, to)...)
	out = append(out, guardDefChanges(from, to)...)
	out = append(out, stateChanges(from, to)...)
	out = append(out, transitionChanges(from, to)...)
	return out
}

// Summary says the changes in one line for people, e.g. "2 states added, 1
// transition changed".
func Summary(changes []Change) string {
	if len(changes) == 0 {
		return "no change in meaning (text, comments or layout only)"
	}
	counts := map[Kind]int{}
	for _, c := range changes {
		counts[c.Kind]++
	}
	order := []struct {
		k          Kind
		one, many  string
		onlyDetail bool
	}{
		{StateAdded, "state added", "states added", false}, {StateRemoved, "state removed", "states removed", false},
		{StateChanged, "state changed", "states changed", false}, {TransitionAdded, "transition added", "transitions added", false},
		{TransitionRemoved, "transition removed", "transitions removed", false}, {TransitionChanged, "transition changed", "transitions changed", false},
		{GuardChanged, "guard changed", "guards changed", false}, {MetaChanged, "meta changed", "meta changed", false},
		{VariablesChanged, "variable changed", "variables changed", false},
	}
	var parts []string
	for _, o := range order {
		n := counts[o.k]
		switch {
		case n == 1:
			parts = append(parts, "1 "+o.one)
		case n > 1:
			parts = append(parts, strconv.Itoa(n)+" "+o.many)
		}
	}
	if len(changes) == 1 {
		c := changes[0]
		return string(c.Kind) + " " + c.Name + ": " + c.Detail
	}
	return strings.Join(parts, ", ")
}

// asJSON is how elements are compared: their JSON, which leaves out
// positions in the text.
func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func metaChanges(from, to *engine.Definition) []Change {
	var out []Change
	field := func(name, a, b string) {
		if a != b {
			out = append(out, Change{MetaChanged, "meta." + name, fmt.Sprintf("%s → %s", show(a), show(b))})
		}
	}
	a, b := from.Meta, to.Meta
	field("machine_name", a.MachineName, b.MachineName)
	field("version", a.Version, b.Version)
	field("description", a.Description, b.Description)
	field("strict_mode", strconv.FormatBool(a.StrictMode), strconv.FormatBool(b.StrictMode))
	field("validate_context", strconv.FormatBool(a.ValidateContext), strconv.FormatBool(b.ValidateContext))
	if asJSON(from.Events) != asJSON(to.Events) {
		out = append(out, Change{MetaChanged, "events", "the documented events changed"})
	}
	if asJSON(from.ErrorPolicy) != asJSON(to.ErrorPolicy) {
		out = append(out, Change{MetaChanged, "error_policy", "the error policy changed"})
	}
	return out
}

func show(s string) string {
	if s == "" {
		return "(none)"
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}

func variableChanges(from, to *engine.Definition) []Change {
	before := map[string]engine.Variable{}
	for _, v := range from.StateVariables {
		before[v.Key] = v
	}
	var out []Change
	seen := map[string]bool{}
	for _, v := range to.StateVariables {
		seen[v.Key] = true
		old, ok := before[v.Key]
		switch {
		case !ok:
			out = append(out, Change{VariablesChanged, v.Key, "added" + typeNote(v)})
		case asJSON(old) != asJSON(v) || old.HasDefault != v.HasDefault:
			out = append(out, Change{VariablesChanged, v.Key, describeVariable(old, v)})
		}
	}
	for _, v := range from.StateVariables {
		if !seen[v.Key] {
			out = append(out, Change{VariablesChanged, v.Key, "removed"})
		}
	}
	return out
}

func typeNote(v engine.Variable) string {
	if v.Type == "" {
		return ""
	}
	return " (" + v.Type + ")"
}

func describeVariable(a, b engine.Variable) string {
	var parts []string
	if a.Type != b.Type {
		parts = append(parts, fmt.Sprintf("type %s → %s", orAny(a.Type), orAny(b.Type)))
	}
	if a.Required != b.Required {
		parts = append(parts, fmt.Sprintf("required %v → %v", a.Required, b.Required))
	}
	if asJSON(a.Default) != asJSON(b.Default) || a.HasDefault != b.HasDefault {
		parts = append(parts, fmt.Sprintf("default %s → %s", asJSON(a.Default), asJSON(b.Default)))
	}
	if a.Description != b.Description {
		parts = append(parts, "description changed")
	}
	return strings.Join(parts, "; ")
}

func orAny(t string) string {
	if t == "" {
		return "any"
	}
	return t
}

func guardDefChanges(from, to *engine.Definition) []Change {
	before := map[string]string{}
	for _, g := range from.Guards {
		before[g.Name] = g.Expr
	}
	var out []Change
	seen := map[string]bool{}
	for _, g := range to.Guards {
		seen[g.Name] = true
		old, ok := before[g.Name]
		switch {
		case !ok:
			out = append(out, Change{GuardChanged, g.Name, "defined as " + strconv.Quote(g.Expr)})
		case old != g.Expr:
			out = append(out, Change{GuardChanged, g.Name, strconv.Quote(old) + " → " + strconv.Quote(g.Expr)})
		}
	}
	for _, g := range from.Guards {
		if !seen[g.Name] {
			out = append(out, Change{GuardChanged, g.Name, "definition removed (" + strconv.Quote(g.Expr) + ")"})
		}
	}
	return out
}

func stateChanges(from, to *engine.Definition) []Change {
	before := map[string]engine.StateDef{}
	for _, s := range from.States {
		before[s.Name] = s
	}
	var out []Change
	seen := map[string]bool{}
	for _, s := range to.States {
		seen[s.Name] = true
		old, ok := before[s.Name]
		if !ok {
			out = append(out, Change{StateAdded, s.Name, "added" + stateNote(s)})
			continue
		}
		if d := describeState(old, s); d != "" {
			out = append(out, Change{StateChanged, s.Name, d})
		}
	}
	for _, s := range from.States {
		if !seen[s.Name] {
			out = append(out, Change{StateRemoved, s.Name, "removed"})
		}
	}
	return out
}

func stateNote(s engine.StateDef) string {
	var parts []string
	if s.Type != "" && s.Type != engine.StateStable {
		parts = append(parts, s.Type)
	}
	if s.Parent != "" {
		parts = append(parts, "in "+s.Parent)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func describeState(a, b engine.StateDef) string {
	var parts []string
	diff := func(name, x, y string) {
		if x != y {
			parts = append(parts, fmt.Sprintf("%s %s → %s", name, show(x), show(y)))
		}
	}
	diff("type", a.Type, b.Type)
	diff("parent", a.Parent, b.Parent)
	diff("initial_child", a.InitialChild, b.InitialChild)
	if asJSON(a.Timeout) != asJSON(b.Timeout) {
		parts = append(parts, "timeout "+timeoutText(a.Timeout)+" → "+timeoutText(b.Timeout))
	}
	if asJSON(a.OnEnter) != asJSON(b.OnEnter) {
		parts = append(parts, "on_enter "+actionsText(a.OnEnter)+" → "+actionsText(b.OnEnter))
	}
	if asJSON(a.OnExit) != asJSON(b.OnExit) {
		parts = append(parts, "on_exit "+actionsText(a.OnExit)+" → "+actionsText(b.OnExit))
	}
	if asJSON(a.Regions) != asJSON(b.Regions) {
		parts = append(parts, "regions changed")
	}
	if a.Description != b.Description {
		parts = append(parts, "description changed")
	}
	if asJSON(a.Metadata) != asJSON(b.Metadata) {
		parts = append(parts, "metadata changed")
	}
	return strings.Join(parts, "; ")
}

func timeoutText(t *engine.TimeoutDef) string {
	if t == nil {
		return "(none)"
	}
	return strconv.FormatFloat(t.Seconds, 'f', -1, 64) + "s to " + t.Destination
}

func actionsText(as []engine.Action) string {
	if len(as) == 0 {
		return "[]"
	}
	names := make([]string, len(as))
	for i, a := range as {
		names[i] = a.Name
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// transitionKey identifies a transition across versions: its trigger, its
// sources (in any order) and its region.
func transitionKey(t engine.TransitionDef) string {
	src := append([]string(nil), t.Source...)
	sort.Strings(src)
	return t.Trigger + "|" + strings.Join(src, ",") + "|" + t.Region
}

func transitionName(t engine.TransitionDef) string {
	trig := t.Trigger
	if trig == "" && t.After != nil {
		trig = "after " + t.After.Raw
	}
	return trig + ": " + strings.Join(t.Source, ", ") + " → " + t.Dest
}

func transitionChanges(from, to *engine.Definition) []Change {
	explicit := func(ts []engine.TransitionDef) []engine.TransitionDef {
		var out []engine.TransitionDef
		for _, t := range ts {
			if !t.Implicit {
				out = append(out, t)
			}
		}
		return out
	}
	a, b := explicit(from.Transitions), explicit(to.Transitions)
	// pair transitions with the same key in document order
	pending := map[string][]int{}
	for i, t := range a {
		k := transitionKey(t)
		pending[k] = append(pending[k], i)
	}
	matched := make([]bool, len(a))
	var out []Change
	for _, t := range b {
		k := transitionKey(t)
		if len(pending[k]) == 0 {
			out = append(out, Change{TransitionAdded, transitionName(t), "added"})
			continue
		}
		i := pending[k][0]
		pending[k] = pending[k][1:]
		matched[i] = true
		old := a[i]
		if asJSON(old.Guards) != asJSON(t.Guards) {
			out = append(out, Change{GuardChanged, transitionName(t), "guards " + guardsText(old.Guards) + " → " + guardsText(t.Guards)})
		}
		var parts []string
		if old.Dest != t.Dest {
			parts = append(parts, fmt.Sprintf("dest %s → %s", old.Dest, t.Dest))
		}
		if asJSON(old.Actions) != asJSON(t.Actions) {
			parts = append(parts, "actions "+actionsText(old.Actions)+" → "+actionsText(t.Actions))
		}
		if asJSON(old.After) != asJSON(t.After) {
			parts = append(parts, "after changed")
		}
		if old.Description != t.Description {
			parts = append(parts, "description changed")
		}
		if asJSON(old.Metadata) != asJSON(t.Metadata) {
			parts = append(parts, "metadata changed")
		}
		if len(parts) > 0 {
			out = append(out, Change{TransitionChanged, transitionName(t), strings.Join(parts, "; ")})
		}
	}
	for i, t := range a {
		if !matched[i] {
			out = append(out, Change{TransitionRemoved, transitionName(t), "removed"})
		}
	}
	return out
}

func guardsText(gs []engine.GuardRef) string {
	if len(gs) == 0 {
		return "[]"
	}
	labels := make([]string, len(gs))
	for i, g := range gs {
		labels[i] = g.Label()
	}
	return "[" + strings.Join(labels, ", ") + "]"
}
