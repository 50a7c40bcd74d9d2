package yamledit

import (
	"gopkg.in/yaml.v3"

	"github.com/statorhq/stator/engine"
)

// Apply makes one visual edit (SPEC 7.1) in a machine text (YAML or JSON)
// and returns the new text. Only what the edit must change is rewritten:
// comments, key order, quoting, flow or block style, indentation and line
// ends of everything else stay byte for byte; new entries copy the style of
// their siblings; a JSON text stays JSON.
//
// The edit is refused, and the text returned unchanged, when the op is
// malformed or names what does not exist (an *Error wrapping ErrOp,
// ErrUnknownState...), when the text cannot be read as a machine (an
// *InvalidError with Input set: edits need a tree), or when the result
// would not load: an *InvalidError with the result's problems, which
// unwraps to an *engine.ValidationError. The result is also compared with
// what the edit means for the machine: text shared through anchors, aliases
// or merge keys that the edit would change elsewhere too is refused with
// ErrShared. An edit that changes nothing returns the text and no error.
func Apply(text string, op Op) (string, error) {
	if err := op.check(); err != nil {
		return text, err
	}
	def, problems := engine.Check([]byte(text))
	if def == nil {
		return text, &InvalidError{Op: op.Kind, Input: true, Problems: problems}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return text, &InvalidError{Op: op.Kind, Input: true, Problems: problems}
	}
	m, ok := newMachine(newSource(text), &doc, def, op.Kind)
	if !ok {
		if problems.HasErrors() {
			return text, &InvalidError{Op: op.Kind, Input: true, Problems: problems}
		}
		return text, refuse(ErrUnsupported, op.Kind, "", "the machine's states or transitions cannot be read one by one; make this edit in the text")
	}
	m.run(op)
	if m.err != nil {
		return text, m.err
	}
	if len(m.patches) == 0 {
		return text, nil
	}
	out, err := applyPatches(text, m.patches)
	if err != nil {
		return text, refuse(ErrUnsupported, op.Kind, "", "this edit could not be made safely on this text (%v); make it in the text", err)
	}
	res, after, err := engine.Load([]byte(out))
	if err != nil {
		for _, p := range after {
			if p.Code == engine.CodeSyntaxError || p.Code == engine.CodeInvalidRoot {
				return text, m.unsafe(&doc, "the text would no longer parse: "+p.Message)
			}
		}
		return text, &InvalidError{Op: op.Kind, Problems: withoutPositions(after)}
	}
	expect(def, op)
	if where := firstDifference(def, res.Definition()); where != "" {
		return text, m.unsafe(&doc, where+" would not come out as the edit means")
	}
	return out, nil
}

// run dispatches the op.
func (m *machine) run(op Op) {
	switch op.Kind {
	case AddState:
		m.addState(op)
	case AddTransition:
		m.addTransition(op)
	case RenameState:
		m.renameState(op)
	case RenameTrigger:
		m.renameTrigger(op)
	case DeleteState:
		m.deleteState(op)
	case SetInitial:
		m.setInitial(op)
	case SetParent:
		m.setParent(op)
	case UpdateTransition:
		m.updateTransition(op)
	}
}

// unsafe refuses an edit whose result is not what it means: because of
// text shared through anchors, aliases or merge keys (ErrShared), or, in a
// text without them, because this package could not rewrite the text
// (ErrUnsupported).
func (m *machine) unsafe(doc *yaml.Node, what string) error {
	if anchor := firstShared(doc); anchor != nil {
		return refuse(ErrShared, m.op, "", "%s: the text is shared through the anchor &%s (line %d) and its aliases or a merge key (<<), so the edit would change more than it should; make it in the text", what, anchor.Anchor, anchor.Line)
	}
	return refuse(ErrUnsupported, m.op, "", "this edit could not be made safely on this text (%s); make it in the text", what)
}

// firstShared is the first anchored node that an alias refers to.
func firstShared(doc *yaml.Node) *yaml.Node {
	var found *yaml.Node
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || found != nil || depth > 1000 {
			return
		}
		if n.Kind == yaml.AliasNode {
			found = n.Alias
			return
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(doc, 0)
	return found
}

func withoutPositions(ps engine.Problems) engine.Problems {
	out := make(engine.Problems, len(ps))
	for i, p := range ps {
		p.Line, p.Column = 0, 0
		out[i] = p
	}
	return out
}
