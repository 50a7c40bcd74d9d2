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
	// the engine reads the text while the node tree is built beside it
	type checked struct {
		def      *engine.Definition
		problems engine.Problems
	}
	done := make(chan checked, 1)
	go func() {
		def, problems := engine.Check([]byte(text))
		done <- checked{def, problems}
	}()
	var doc yaml.Node
	perr := yaml.Unmarshal([]byte(text), &doc)
	in := <-done
	def, problems := in.def, in.problems
	if def == nil || perr != nil {
		return text, &InvalidError{Op: op.Kind, Input: true, Problems: problems}
	}
	// the op's steps are made one after the other, each on the text the
	// step before wrote: the edits of one step never overlap
	out := text
	var m *machine
	for i, step := range op.steps() {
		if i > 0 {
			doc = yaml.Node{}
			if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
				return text, m.unsafe(&doc, "", err.Error())
			}
		}
		var ok bool
		if m, ok = newMachine(newSource(out), &doc, def, op.Kind); !ok {
			if problems.HasErrors() {
				return text, &InvalidError{Op: op.Kind, Input: true, Problems: problems}
			}
			return text, refuse(ErrUnsupported, op.Kind, "", "the machine's states or transitions cannot be read one by one; make this edit in the text")
		}
		m.run(step)
		if m.err != nil {
			return text, m.err
		}
		if len(m.patches) > 0 {
			var err error
			if out, err = applyPatches(out, m.patches); err != nil {
				return text, refuse(ErrUnsupported, op.Kind, "", "this edit could not be made safely on this text (%v); make it in the text", err)
			}
		}
	}
	// the result must be a valid machine (Check validates as Load does;
	// compiling adds no error) that means what the op means; an op that
	// changes nothing returns the text as it is, valid or not
	got, after := engine.Check([]byte(out))
	for _, p := range after {
		if p.Code == engine.CodeSyntaxError || p.Code == engine.CodeInvalidRoot {
			return text, m.unsafe(&doc, "", p.Message)
		}
	}
	if out != text && after.HasErrors() {
		return text, &InvalidError{Op: op.Kind, Problems: withoutPositions(after)}
	}
	expect(def, op)
	if where := firstDifference(def, got); where != "" {
		return text, m.unsafe(&doc, where, "")
	}
	return out, nil
}

// steps splits an op into edits made one after the other: an
// update_transition sets its trigger, then its guards, then its actions.
func (op Op) steps() []Op {
	if op.Kind != UpdateTransition {
		return []Op{op}
	}
	var out []Op
	if op.Trigger != "" {
		out = append(out, Op{Kind: op.Kind, Index: op.Index, Trigger: op.Trigger})
	}
	if op.Guards != nil {
		out = append(out, Op{Kind: op.Kind, Index: op.Index, Guards: op.Guards})
	}
	if op.Actions != nil {
		out = append(out, Op{Kind: op.Kind, Index: op.Index, Actions: op.Actions})
	}
	return out
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

// unsafe refuses an edit whose result is not what it means (where names
// the part that differs; parse is set when the result would not parse):
// because of text shared through anchors, aliases or merge keys
// (ErrShared), or, in a text without them, because this package could not
// rewrite the text (ErrUnsupported).
func (m *machine) unsafe(doc *yaml.Node, where, parse string) error {
	anchor := m.sharedAnchor(doc)
	switch {
	case anchor != nil && parse != "":
		return refuse(ErrShared, m.op, "", "this edit cannot be made safely: it would remove the anchor &%s (line %d) that an alias elsewhere still uses; make this edit in the text", anchor.Anchor, anchor.Line)
	case anchor != nil:
		return refuse(ErrShared, m.op, "", "this edit cannot be made safely: %s would differ from what the edit means, because its text is written once as the anchor &%s (line %d) and shared by aliases or a merge key (<<); make this edit in the text", where, anchor.Anchor, anchor.Line)
	case parse != "":
		return refuse(ErrUnsupported, m.op, "", "this edit could not be made safely on this text (the result would not parse: %s); make it in the text", parse)
	}
	return refuse(ErrUnsupported, m.op, "", "this edit could not be made safely on this text (%s would not come out as the edit means); make it in the text", where)
}

// sharedAnchor is the anchored node, used by an alias, that the edit
// touches (its text overlaps a patch), else the first one in the text.
func (m *machine) sharedAnchor(doc *yaml.Node) *yaml.Node {
	var anchors []*yaml.Node
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 1000 {
			return
		}
		if n.Kind == yaml.AliasNode && n.Alias != nil && !seen[n.Alias] {
			seen[n.Alias] = true
			anchors = append(anchors, n.Alias)
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(doc, 0)
	for _, a := range anchors {
		start := m.src.pos(a)
		end, err := m.src.end(a, -1)
		if err != nil {
			continue
		}
		for _, p := range m.patches {
			if p.start < end && p.end >= start {
				return a
			}
		}
	}
	if len(anchors) > 0 {
		return anchors[0]
	}
	return nil
}

func withoutPositions(ps engine.Problems) engine.Problems {
	out := make(engine.Problems, len(ps))
	for i, p := range ps {
		p.Line, p.Column = 0, 0
		out[i] = p
	}
	return out
}
