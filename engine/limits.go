package engine

// Limits bound what a definition may contain (SPEC 11). The zero value of a
// field means the default.
type Limits struct {
	MaxTextBytes   int // machine text, default 512 KiB
	MaxStates      int // default 5,000
	MaxTransitions int // default 20,000
	MaxExprLen     int // characters in one guard expression, default 1,000
	MaxNodes       int // YAML nodes visited, aliases expanded, default 1,000,000
	MaxDepth       int // nesting of values such as params and defaults, default 32
}

// DefaultLimits are the limits of SPEC 11.
func DefaultLimits() Limits {
	return Limits{
		MaxTextBytes:   512 << 10,
		MaxStates:      5000,
		MaxTransitions: 20000,
		MaxExprLen:     1000,
		MaxNodes:       1_000_000,
		MaxDepth:       32,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxTextBytes > 0 {
		d.MaxTextBytes = l.MaxTextBytes
	}
	if l.MaxStates > 0 {
		d.MaxStates = l.MaxStates
	}
	if l.MaxTransitions > 0 {
		d.MaxTransitions = l.MaxTransitions
	}
	if l.MaxExprLen > 0 {
		d.MaxExprLen = l.MaxExprLen
	}
	if l.MaxNodes > 0 {
		d.MaxNodes = l.MaxNodes
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	return d
}
