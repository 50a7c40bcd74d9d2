package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ActiveTimers are the timers an entity in state (a state or a parallel
// configuration) has pending when it has been in every active state since it
// entered: the timeouts and delayed transitions of each active state, leaves
// and ancestors. A store re-arms them when it moves an entity to another
// revision of its machine.
func (m *Machine) ActiveTimers(state string) ([]Timer, error) {
	leaves, err := m.activeLeaves(state)
	if err != nil {
		return nil, err
	}
	seen := map[int32]bool{}
	var out []Timer
	for _, l := range leaves {
		var chain []int32
		for a := l; a >= 0; a = m.nodes[a].parent {
			if !seen[a] {
				seen[a] = true
				chain = append(chain, a)
			}
		}
		for i := len(chain) - 1; i >= 0; i-- { // outermost first, as entering does
			out = append(out, m.nodes[chain[i]].timers...)
		}
	}
	return out, nil
}

// ErrUnmappable is wrapped by Remap's errors: the state has no place in the
// machine.
var ErrUnmappable = errors.New("the state has no place in this machine")

// Remap finds where an entity in state (of another revision of this machine)
// belongs in this machine: the state itself, or mapping[name] for each state
// name in it (a plain state, or the parallel state and every leaf of a
// configuration "<parallel>:<region>=<leaf>,..."). A compound state maps to
// its initial leaf. The result must be a state or a complete configuration
// of this machine; otherwise the error (wrapping ErrUnmappable) says why, for
// people.
func (m *Machine) Remap(state string, mapping map[string]string) (string, error) {
	to := func(name string) string {
		if t, ok := mapping[name]; ok {
			return t
		}
		return name
	}
	if !strings.Contains(state, ":") {
		target := to(state)
		i, ok := m.stateIdx[target]
		if !ok {
			if target == state {
				return "", fmt.Errorf("%w: %q no longer exists; map it to a state of the target revision", ErrUnmappable, state)
			}
			return "", fmt.Errorf("%w: %q is mapped to %q, which does not exist", ErrUnmappable, state, target)
		}
		if m.nodes[i].par >= 0 && int32(i) != m.nodes[i].par {
			// a state inside a region: the parallel state with the other
			// regions at their initial states
			return m.exampleConfig(int32(i)), nil
		}
		return m.configString(m.enterLeaves(int32(i))), nil
	}
	par, rest, _ := strings.Cut(state, ":")
	var parts []string
	for _, part := range strings.Split(rest, ",") {
		region, leaf, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return "", fmt.Errorf("%w: %q is not a configuration", ErrUnmappable, state)
		}
		parts = append(parts, region+"="+to(leaf))
	}
	sort.Strings(parts)
	target := to(par) + ":" + strings.Join(parts, ",")
	if _, err := m.parseConfig(target); err != nil {
		return "", fmt.Errorf("%w: %q becomes %q: %v", ErrUnmappable, state, target, err)
	}
	return m.canonical(target)
}

// enterLeaves is where entering state i ends: its initial leaf, or the
// initial leaf of every region of a parallel state.
func (m *Machine) enterLeaves(i int32) []int32 {
	return m.leavesOf(m.enterNode(nil, i, nil), -1, i)
}

// canonical rewrites a configuration with its regions sorted by name.
func (m *Machine) canonical(cfg string) (string, error) {
	c, err := m.parseConfig(cfg)
	if err != nil {
		return "", err
	}
	return m.configString(c.leaves), nil
}
