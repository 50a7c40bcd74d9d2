package yamledit

import (
	"encoding/json"
	"fmt"

	"github.com/statorhq/stator/engine"
)

// expect changes a definition the way the op means to change the machine.
// Apply compares it with the definition read back from the edited text, so
// that a text edit that does more or less than the op (through an alias,
// or a bug) is never returned.
func expect(def *engine.Definition, op Op) {
	rename := func(s *string, from, to string) {
		if *s == from {
			*s = to
		}
	}
	switch op.Kind {
	case AddState:
		typ := op.Type
		if typ == "" {
			typ = engine.StateStable
		}
		def.States = append(def.States, engine.StateDef{Name: op.Name, Type: typ, Parent: op.Parent})
	case AddTransition:
		def.Transitions = append(def.Transitions, engine.TransitionDef{Trigger: op.Trigger, Source: []string{op.Source}, Dest: op.Dest})
	case RenameState:
		for i := range def.States {
			s := &def.States[i]
			rename(&s.Name, op.From, op.To)
			rename(&s.Parent, op.From, op.To)
			rename(&s.InitialChild, op.From, op.To)
			if s.Timeout != nil {
				rename(&s.Timeout.Destination, op.From, op.To)
			}
			for r := range s.Regions {
				rename(&s.Regions[r].Initial, op.From, op.To)
				for k := range s.Regions[r].States {
					rename(&s.Regions[r].States[k], op.From, op.To)
				}
			}
		}
		for j := range def.Transitions {
			t := &def.Transitions[j]
			rename(&t.Dest, op.From, op.To)
			for k := range t.Source {
				rename(&t.Source[k], op.From, op.To)
			}
		}
		if def.ErrorPolicy != nil {
			rename(&def.ErrorPolicy.DefaultFallback, op.From, op.To)
		}
	case RenameTrigger:
		for j := range def.Transitions {
			rename(&def.Transitions[j].Trigger, op.From, op.To)
		}
		for j := range def.Events {
			rename(&def.Events[j].Name, op.From, op.To)
		}
	case DeleteState:
		expectDelete(def, op.Name)
	case SetInitial:
		expectInitial(def, op.Name)
	case SetParent:
		for i := range def.States {
			s := &def.States[i]
			if s.Name != op.Name || s.Parent == op.Parent {
				continue
			}
			if p := stateDef(def, s.Parent); p != nil {
				if p.Type == engine.StateParallel {
					dropRegionState(p, op.Name)
				} else if p.InitialChild == op.Name {
					p.InitialChild = ""
				}
			}
			def.States[i].Parent = op.Parent
			break
		}
	case UpdateTransition:
		t := &def.Transitions[*op.Index]
		if op.Trigger != "" {
			t.Trigger = op.Trigger
		}
		if op.Guards != nil {
			t.Guards = nil
			for _, g := range op.Guards {
				t.Guards = append(t.Guards, engine.GuardRef(g))
			}
		}
		if op.Actions != nil {
			t.Actions = nil
			for _, a := range op.Actions {
				t.Actions = append(t.Actions, engine.Action{Name: a.Name, Params: a.Params})
			}
		}
	}
}

func expectDelete(def *engine.Definition, name string) {
	states := def.States[:0]
	for _, s := range def.States {
		if s.Name == name {
			continue
		}
		if s.Timeout != nil && s.Timeout.Destination == name {
			s.Timeout = nil
		}
		if s.InitialChild == name {
			s.InitialChild = ""
		}
		dropRegionState(&s, name)
		states = append(states, s)
	}
	def.States = states
	trans := def.Transitions[:0]
	for _, t := range def.Transitions {
		var src []string
		for _, s := range t.Source {
			if s != name {
				src = append(src, s)
			}
		}
		if t.Dest == name || (len(t.Source) > 0 && len(src) == 0) {
			continue
		}
		t.Source = src
		trans = append(trans, t)
	}
	def.Transitions = trans
}

func expectInitial(def *engine.Definition, name string) {
	s := stateDef(def, name)
	if s == nil {
		return
	}
	if s.Parent == "" {
		for i := range def.States {
			if c := &def.States[i]; c.Parent == "" && c.Type == engine.StateInitial {
				c.Type = engine.StateStable
			}
		}
		s.Type = engine.StateInitial
		return
	}
	p := stateDef(def, s.Parent)
	if p == nil {
		return
	}
	if p.Type != engine.StateParallel {
		p.InitialChild = name
		return
	}
	for r := range p.Regions {
		if contains(p.Regions[r].States, name) {
			p.Regions[r].Initial = name
			return
		}
	}
}

func stateDef(def *engine.Definition, name string) *engine.StateDef {
	for i := range def.States {
		if def.States[i].Name == name && name != "" {
			return &def.States[i]
		}
	}
	return nil
}

func dropRegionState(s *engine.StateDef, name string) {
	for r := range s.Regions {
		var kept []string
		for _, x := range s.Regions[r].States {
			if x != name {
				kept = append(kept, x)
			}
		}
		if len(kept) != len(s.Regions[r].States) {
			s.Regions[r].States = kept
		}
	}
}

// firstDifference names the first part in which two definitions differ
// ("states[3]", "transitions[1]", "events"), or "".
func firstDifference(want, got *engine.Definition) string {
	same := func(a, b any) bool {
		ja, err1 := json.Marshal(normalize(a))
		jb, err2 := json.Marshal(normalize(b))
		return err1 == nil && err2 == nil && string(ja) == string(jb)
	}
	for _, part := range []struct {
		name string
		a, b any
	}{
		{"meta", want.Meta, got.Meta},
		{"state_variables", want.StateVariables, got.StateVariables},
		{"events", want.Events, got.Events},
		{"guards", want.Guards, got.Guards},
		{"error_policy", want.ErrorPolicy, got.ErrorPolicy},
	} {
		if !same(part.a, part.b) {
			return part.name
		}
	}
	for i := 0; i < max(len(want.States), len(got.States)); i++ {
		if i >= len(want.States) || i >= len(got.States) || !same(want.States[i], got.States[i]) {
			return fmt.Sprintf("states[%d]", i)
		}
	}
	for i := 0; i < max(len(want.Transitions), len(got.Transitions)); i++ {
		if i >= len(want.Transitions) || i >= len(got.Transitions) || !same(want.Transitions[i], got.Transitions[i]) {
			return fmt.Sprintf("transitions[%d]", i)
		}
	}
	return ""
}

// normalize makes an empty list and no list compare equal.
func normalize(v any) any {
	switch t := v.(type) {
	case engine.StateDef:
		if len(t.OnEnter) == 0 {
			t.OnEnter = nil
		}
		if len(t.OnExit) == 0 {
			t.OnExit = nil
		}
		for r := range t.Regions {
			if len(t.Regions[r].States) == 0 {
				t.Regions[r].States = nil
			}
		}
		return t
	case engine.TransitionDef:
		if len(t.Source) == 0 {
			t.Source = nil
		}
		if len(t.Guards) == 0 {
			t.Guards = nil
		}
		if len(t.Actions) == 0 {
			t.Actions = nil
		}
		return t
	}
	return v
}
