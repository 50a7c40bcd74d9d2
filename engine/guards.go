package engine

import (
	"fmt"
	"sort"
	"sync"
)

// GuardFunc is a guard written in Go. It reads the merged context (the entity's
// context with the event payload over it) and must not modify it.
type GuardFunc func(ctx Context) bool

// GuardRegistry holds Go guard functions by name. A machine resolves its guard
// names against the registry it was loaded (or rebound) with; registering a
// function later does not change an already compiled machine.
type GuardRegistry struct {
	mu sync.RWMutex
	m  map[string]GuardFunc
}

// NewGuardRegistry returns an empty registry.
func NewGuardRegistry() *GuardRegistry { return &GuardRegistry{m: map[string]GuardFunc{}} }

// Register adds or replaces a guard. The name must follow the naming rule.
func (r *GuardRegistry) Register(name string, fn GuardFunc) error {
	if !validName(name) {
		return fmt.Errorf("guard name %q: %w", name, ErrInvalidName)
	}
	if fn == nil {
		return fmt.Errorf("guard %q: the function is nil", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[name] = fn
	return nil
}

// MustRegister is Register for setup code; it panics on an invalid name.
func (r *GuardRegistry) MustRegister(name string, fn GuardFunc) *GuardRegistry {
	if err := r.Register(name, fn); err != nil {
		panic(err)
	}
	return r
}

// Lookup returns the guard registered under name.
func (r *GuardRegistry) Lookup(name string) (GuardFunc, bool) {
	if r == nil {
		return nil, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn, ok := r.m[name]
	return fn, ok
}

// Names lists the registered guard names, sorted.
func (r *GuardRegistry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// guardKind says how a guard reference was resolved at compile time.
type guardKind uint8

const (
	guardFunc    guardKind = iota + 1 // a registered Go function
	guardExpr                         // a `guards:` definition or an inline expression
	guardUnbound                      // a name with no definition: asks for a value
)

// guard is one compiled guard of a transition.
type guard struct {
	label string // name, or the inline expression text
	name  string // "" for inline expressions
	kind  guardKind
	fn    GuardFunc
	expr  *compiledExpr
}

// GuardValues answers unbound named guards (SPEC 3.3). A non-nil map means the
// caller supplies values: names it does not list count as true, as pystator's API
// does. A nil map means no values are supplied.
type GuardValues map[string]bool
