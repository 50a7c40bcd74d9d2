package engine

// Statistics summarises a machine's structure, like pystator's
// get_statistics: what the editor shows beside the diagram and what
// GET /machines/{id} can report. Maps have every state (or type) as a key, so
// that a missing key never means zero by accident.
type Statistics struct {
	MachineName string `json:"machine_name"`
	Version     string `json:"version"`

	TotalStates int `json:"total_states"`
	// StatesByType counts states by their `type`: initial, stable, terminal,
	// error and parallel (all five keys always present). An initial state
	// inside a compound state counts as initial.
	StatesByType map[string]int `json:"states_by_type"`
	// CompoundStates are the states with children (parallel states excluded).
	CompoundStates int `json:"compound_states"`
	Regions        int `json:"regions"`
	// MaxDepth is the deepest nesting of states: 1 for a flat machine.
	MaxDepth int `json:"max_depth"`

	// TotalTransitions counts the transitions as written (one per entry of
	// `transitions:`, whatever its number of sources), not the implicit
	// timeouts.
	TotalTransitions int `json:"total_transitions"`
	// Edges counts (source, transition) pairs, timeouts included: the arrows
	// of the diagram besides the initial and terminal markers.
	Edges                  int `json:"edges"`
	GuardedTransitions     int `json:"guarded_transitions"`
	TransitionsWithActions int `json:"transitions_with_actions"`
	DelayedTransitions     int `json:"delayed_transitions"`
	TimeoutTransitions     int `json:"timeout_transitions"`

	// Triggers are the user triggers, sorted (no `_timeout` or `_after_*`).
	Triggers     []string `json:"triggers"`
	TriggerCount int      `json:"trigger_count"`

	// FanOut is the number of edges leaving each state, written on the state
	// itself (not inherited from its ancestors); MaxFanOut is the largest.
	FanOut    map[string]int `json:"fan_out"`
	MaxFanOut int            `json:"max_fan_out"`

	// StatesWithTimeouts lists the states that have a `timeout:`, in YAML
	// order.
	StatesWithTimeouts []string `json:"states_with_timeouts"`
	// TerminalStates lists the terminal states in YAML order.
	TerminalStates []string `json:"terminal_states"`
}

// Statistics counts the machine's states and transitions (see Statistics).
func (m *Machine) Statistics() Statistics {
	def := m.def
	s := Statistics{
		MachineName:        def.Meta.MachineName,
		Version:            def.Meta.Version,
		TotalStates:        len(def.States),
		StatesByType:       map[string]int{StateInitial: 0, StateStable: 0, StateTerminal: 0, StateError: 0, StateParallel: 0},
		TotalTransitions:   len(def.Transitions),
		Triggers:           m.Triggers(),
		FanOut:             make(map[string]int, len(def.States)),
		StatesWithTimeouts: []string{},
		TerminalStates:     m.TerminalStates(),
	}
	s.TriggerCount = len(s.Triggers)
	for i := range def.States {
		st := &def.States[i]
		nd := &m.nodes[i]
		s.StatesByType[st.Type]++
		if nd.parallel() {
			s.Regions += len(nd.regions)
		} else if len(nd.children) > 0 {
			s.CompoundStates++
		}
		if st.Timeout != nil {
			s.StatesWithTimeouts = append(s.StatesWithTimeouts, st.Name)
		}
		depth := 0
		for a := int32(i); a >= 0; a = m.nodes[a].parent {
			if m.nodes[a].kind == kindState {
				depth++
			}
		}
		s.MaxDepth = max(s.MaxDepth, depth)
		s.FanOut[st.Name] = 0
	}
	for i := range m.trans {
		t := &m.trans[i]
		s.Edges += len(t.sources)
		for _, src := range t.sources {
			s.FanOut[m.nodes[src].name]++
		}
		if t.index >= len(def.Transitions) {
			s.TimeoutTransitions++
			continue
		}
		td := &def.Transitions[t.index]
		if len(td.Guards) > 0 {
			s.GuardedTransitions++
		}
		if len(td.Actions) > 0 {
			s.TransitionsWithActions++
		}
		if td.After != nil {
			s.DelayedTransitions++
		}
	}
	for _, n := range s.FanOut {
		s.MaxFanOut = max(s.MaxFanOut, n)
	}
	return s
}
