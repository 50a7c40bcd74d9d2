package engine

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// ActionFunc is a side effect named by a machine (SPEC 3.5). It receives the
// entity's context and the action's params from the YAML.
type ActionFunc func(ctx context.Context, data Context, params map[string]any) error

// ActionRegistry holds action functions by name. It is safe for concurrent use.
type ActionRegistry struct {
	mu sync.RWMutex
	m  map[string]ActionFunc
}

// NewActionRegistry returns an empty registry.
func NewActionRegistry() *ActionRegistry { return &ActionRegistry{m: map[string]ActionFunc{}} }

// Register adds or replaces an action. The name must follow the naming rule.
func (r *ActionRegistry) Register(name string, fn ActionFunc) error {
	if !validName(name) {
		return fmt.Errorf("action name %q: %w", name, ErrInvalidName)
	}
	if fn == nil {
		return fmt.Errorf("action %q: the function is nil", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[name] = fn
	return nil
}

// Lookup returns the action registered under name.
func (r *ActionRegistry) Lookup(name string) (ActionFunc, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn, ok := r.m[name]
	return fn, ok
}

// Names lists the registered actions, sorted.
func (r *ActionRegistry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.m))
	for n := range r.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Action phases, in the order an executor runs them.
const (
	PhaseExit       = "exit"
	PhaseTransition = "transition"
	PhaseEnter      = "enter"
)

// ActionRun is what happened to one action.
type ActionRun struct {
	Name    string `json:"name"`
	Phase   string `json:"phase"`
	Skipped bool   `json:"skipped,omitempty"` // not registered
	Error   string `json:"error,omitempty"`
}

// ExecutionReport lists every action of a result in the order it was handled.
type ExecutionReport struct {
	Runs []ActionRun `json:"runs"`
}

// Failed returns the runs that returned an error or panicked.
func (r ExecutionReport) Failed() []ActionRun {
	var out []ActionRun
	for _, x := range r.Runs {
		if x.Error != "" {
			out = append(out, x)
		}
	}
	return out
}

// Skipped returns the names of unregistered actions.
func (r ExecutionReport) Skipped() []string {
	var out []string
	for _, x := range r.Runs {
		if x.Skipped {
			out = append(out, x.Name)
		}
	}
	return out
}

// Executor runs a result's actions after the caller has persisted the new state
// (pystator's sandwich pattern): exit actions, then transition actions, then
// enter actions. An unregistered action is skipped; an action's error (or
// panic) is reported and does not stop the others or undo the transition.
type Executor struct {
	reg *ActionRegistry
}

// NewExecutor returns an executor for the registry.
func NewExecutor(reg *ActionRegistry) *Executor { return &Executor{reg: reg} }

// Execute runs the actions of a successful result. A failed result runs none.
func (e *Executor) Execute(ctx context.Context, res *Result, data Context) ExecutionReport {
	rep := ExecutionReport{Runs: []ActionRun{}}
	if res == nil || !res.Success {
		return rep
	}
	phases := []struct {
		name string
		acts []Action
	}{{PhaseExit, res.OnExitActions}, {PhaseTransition, res.ActionsToExecute}, {PhaseEnter, res.OnEnterActions}}
	for _, ph := range phases {
		for _, a := range ph.acts {
			run := ActionRun{Name: a.Name, Phase: ph.name}
			fn, ok := e.reg.Lookup(a.Name)
			if !ok {
				run.Skipped = true
			} else if err := callAction(ctx, fn, data, a.Params); err != nil {
				run.Error = err.Error()
			}
			rep.Runs = append(rep.Runs, run)
		}
	}
	return rep
}

func callAction(ctx context.Context, fn ActionFunc, data Context, params map[string]any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the action panicked: %v", p)
		}
	}()
	if params == nil {
		params = map[string]any{}
	}
	return fn(ctx, data, params)
}
