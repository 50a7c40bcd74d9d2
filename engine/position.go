package engine

import "gopkg.in/yaml.v3"

// srcPos is a 1-based line and column of a YAML node, kept small because a
// large machine records thousands. The zero value means unknown: a machine
// loaded from a Go value has no text to point into.
type srcPos struct{ line, col int32 }

func posOf(n *yaml.Node) srcPos { return srcPos{int32(n.Line), int32(n.Column)} }

func (p srcPos) known() bool { return p.line > 0 }

// itemPos is where one item of a list was written and its index in the list
// as written. The decoder drops items it cannot read, so the index of a
// decoded element may be lower than the index its problem path must name.
type itemPos struct {
	at    srcPos
	index int32
}

// span is the positions of the items of one list value, a run in
// sourceMap.items, sourceMap.guardItems or sourceMap.regions. list tells
// `source: [a]` (the path names source[0]) from `source: a` (it names source).
type span struct {
	start, n int32
	list     bool
}

// exprPos is where the text of an expression begins; a column inside the
// expression adds to it only when the scalar sits on one line as written.
type exprPos struct {
	at      srcPos
	oneLine bool
}

// statePos is where a state and its fields were written.
type statePos struct {
	item                             itemPos
	name, typ, parent, initialChild  srcPos
	regionList, timeout, timeoutDest srcPos // the `regions:` value, the `timeout:` value and its destination
	onEnter, onExit, regions         span
}

// regionPos is where a region of a parallel state and its fields were written.
type regionPos struct {
	item          itemPos
	name, initial srcPos
	states        span
}

// transitionPos is where a transition and its fields were written.
type transitionPos struct {
	item                         itemPos
	trigger, dest, region, after srcPos
	source, guards, actions      span
}

// guardItemPos is where a guard of a transition was written and, for an
// inline `{expr: ...}`, where its expression text begins.
type guardItemPos struct {
	item itemPos
	expr exprPos
}

// guardDefPos is where a `guards:` definition was written (its value) and
// where its expression text begins.
type guardDefPos struct {
	at   srcPos
	expr exprPos
}

// eventPos is where an event and its name were written.
type eventPos struct {
	item itemPos
	name srcPos
}

// sourceMap is where the elements of a Definition were written, found by the
// decoder in the same walk that decodes them, as go/ast nodes carry their
// token.Pos. Its lists run parallel to the definition's (states[i] is where
// Definition.States[i] was written), so validation places its problems
// without reading the YAML again. It lives beside the Definition, not in it,
// so that the same machine read from YAML and from JSON has an equal
// Definition. Every accessor answers for any index, also on a nil map.
type sourceMap struct {
	root        srcPos // the document's root node
	stateList   srcPos // the `states:` value
	fallback    srcPos // error_policy.default_fallback
	states      []statePos
	transitions []transitionPos
	events      []eventPos
	guards      []guardDefPos
	regions     []regionPos
	items       []itemPos // names and actions, by span
	guardItems  []guardItemPos
}

func (m *sourceMap) state(i int) statePos {
	if m != nil && i < len(m.states) {
		return m.states[i]
	}
	return statePos{item: itemPos{index: int32(i)}}
}

func (m *sourceMap) transition(i int) transitionPos {
	if m != nil && i < len(m.transitions) {
		return m.transitions[i]
	}
	return transitionPos{item: itemPos{index: int32(i)}}
}

func (m *sourceMap) event(i int) eventPos {
	if m != nil && i < len(m.events) {
		return m.events[i]
	}
	return eventPos{item: itemPos{index: int32(i)}}
}

func (m *sourceMap) guardDef(i int) guardDefPos {
	if m != nil && i < len(m.guards) {
		return m.guards[i]
	}
	return guardDefPos{}
}

// region is the j-th region of the span s.
func (m *sourceMap) region(s span, j int) regionPos {
	if m != nil && j < int(s.n) {
		return m.regions[int(s.start)+j]
	}
	return regionPos{item: itemPos{index: int32(j)}}
}

// item is the j-th name or action of the span s.
func (m *sourceMap) item(s span, j int) itemPos {
	if m != nil && j < int(s.n) {
		return m.items[int(s.start)+j]
	}
	return itemPos{index: int32(j)}
}

// guardItem is the j-th guard of the span s.
func (m *sourceMap) guardItem(s span, j int) guardItemPos {
	if m != nil && j < int(s.n) {
		return m.guardItems[int(s.start)+j]
	}
	return guardItemPos{item: itemPos{index: int32(j)}}
}

// exprStart is where the text of an expression scalar begins: after the
// opening quote of a quoted scalar.
func exprStart(n *yaml.Node) exprPos {
	at := exprPos{at: posOf(n)}
	switch n.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		at.at.col++
		at.oneLine = true
	case 0, yaml.FlowStyle:
		at.oneLine = true
	}
	return at
}
