package engine

// Highlight returns the diagram node ids (see StateNodeID) to highlight for a
// state or parallel configuration: every active leaf (one per region in a
// configuration) and all their ancestors, in YAML order. The page marks these
// in the rendered SVG, inside composite states and regions too, which
// Mermaid's own class styles cannot do. An unknown state or a malformed
// configuration is an error wrapping ErrUndefinedState or describing the
// problem.
func (m *Machine) Highlight(state string) ([]string, error) {
	names, err := m.ActiveStates(state)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(names))
	for i, n := range names {
		ids[i] = StateNodeID(n)
	}
	return ids, nil
}
