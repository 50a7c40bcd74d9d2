package engine

// Name is meta.machine_name.
func (m *Machine) Name() string { return m.def.Meta.MachineName }

// Version is meta.version.
func (m *Machine) Version() string { return m.def.Meta.Version }

// Description is meta.description.
func (m *Machine) Description() string { return m.def.Meta.Description }

// StrictMode is meta.strict_mode.
func (m *Machine) StrictMode() bool { return m.def.Meta.StrictMode }

// Definition is the machine as written. It must not be modified.
func (m *Machine) Definition() *Definition { return m.def }

// Warnings are the warnings found when the machine was loaded.
func (m *Machine) Warnings() Problems { return m.warnings }

// InitialState is where a new entity starts: the initial state resolved to a
// leaf, or a parallel configuration.
func (m *Machine) InitialState() string { return m.start.target }

// InitialTimers are the timers armed when a new entity starts.
func (m *Machine) InitialTimers() []Timer { return append([]Timer(nil), m.start.timers...) }

// StateNames lists the states in YAML order.
func (m *Machine) StateNames() []string {
	out := make([]string, len(m.def.States))
	for i, s := range m.def.States {
		out[i] = s.Name
	}
	return out
}

// Triggers lists the user triggers (no synthetic `_timeout`/`_after_*`), sorted.
func (m *Machine) Triggers() []string { return append([]string(nil), m.triggers...) }

// TerminalStates lists the terminal states in YAML order.
func (m *Machine) TerminalStates() []string {
	out := []string{}
	for _, s := range m.def.States {
		if s.Type == StateTerminal {
			out = append(out, s.Name)
		}
	}
	return out
}

// HasState reports whether name is a state of the machine.
func (m *Machine) HasState(name string) bool { _, ok := m.stateIdx[name]; return ok }

// IsTerminal reports whether a state string names a terminal state.
func (m *Machine) IsTerminal(state string) bool {
	i, ok := m.stateIdx[state]
	return ok && m.nodes[i].typ == StateTerminal
}

// Parent returns a state's parent state ("" for root states). A state of a
// parallel region has the parallel state as its parent.
func (m *Machine) Parent(name string) string {
	i, ok := m.stateIdx[name]
	if !ok {
		return ""
	}
	for p := m.nodes[i].parent; p >= 0; p = m.nodes[p].parent {
		if m.nodes[p].kind == kindState {
			return m.nodes[p].name
		}
	}
	return ""
}

// ValidState reports whether a state string is a state or a well-formed
// configuration of this machine.
func (m *Machine) ValidState(state string) error {
	_, err := m.activeLeaves(state)
	return err
}

// TransitionCount is the number of compiled transitions, implicit timeouts
// included.
func (m *Machine) TransitionCount() int { return len(m.trans) }

// HasTimers reports whether any state active in state (a leaf and its
// ancestors, or every region's state of a configuration) arms a timer when
// entered: a timeout or a delayed transition. An entity's pending timers were
// all armed by its active states, so a store can skip looking for timers when
// this is false. An unknown state answers true, the safe side.
func (m *Machine) HasTimers(state string) bool {
	leaves, err := m.activeLeaves(state)
	if err != nil {
		return true
	}
	for _, l := range leaves {
		for a := l; a >= 0; a = m.nodes[a].parent {
			if len(m.nodes[a].timers) > 0 {
				return true
			}
		}
	}
	return false
}
