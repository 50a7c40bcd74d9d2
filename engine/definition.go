package engine

// Definition is a machine as written: the parsed form of the YAML or JSON
// document before compilation. Tools (diagrams, the editor, the simulator's
// context form) read it from [Machine.Definition]; it must not be modified.
type Definition struct {
	Meta           Meta            `json:"meta"`
	StateVariables []Variable      `json:"state_variables"`
	Events         []EventDef      `json:"events"`
	Guards         []GuardDef      `json:"guards"`
	States         []StateDef      `json:"states"`
	Transitions    []TransitionDef `json:"transitions"`
	ErrorPolicy    *ErrorPolicy    `json:"error_policy,omitempty"`
}

// Meta is the machine's `meta:` block.
type Meta struct {
	MachineName     string         `json:"machine_name"`
	Version         string         `json:"version"`
	Description     string         `json:"description,omitempty"`
	StrictMode      bool           `json:"strict_mode"`
	ValidateContext bool           `json:"validate_context"`
	Extra           map[string]any `json:"extra,omitempty"`
}

// Variable types accepted in state_variables and event payloads.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
	TypeObject  = "object"
	TypeArray   = "array"
)

// Variable declares one context key (a state variable or an event payload field).
// An empty Type means any type.
type Variable struct {
	Key         string `json:"key"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
	Default     any    `json:"default,omitempty"`
	HasDefault  bool   `json:"-"`
	Required    bool   `json:"required,omitempty"`
}

// EventDef documents a trigger and its payload.
type EventDef struct {
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	Payload     []Variable `json:"payload,omitempty"`
}

// GuardDef is a named guard defined as an expression under `guards:`.
type GuardDef struct {
	Name string `json:"name"`
	Expr string `json:"expr"`
}

// State types.
const (
	StateInitial  = "initial"
	StateStable   = "stable"
	StateTerminal = "terminal"
	StateError    = "error"
	StateParallel = "parallel"
)

// StateDef is one entry of `states:`.
type StateDef struct {
	Name         string         `json:"name"`
	Type         string         `json:"type"`
	Description  string         `json:"description,omitempty"`
	Parent       string         `json:"parent,omitempty"`
	InitialChild string         `json:"initial_child,omitempty"`
	Timeout      *TimeoutDef    `json:"timeout,omitempty"`
	OnEnter      []Action       `json:"on_enter"`
	OnExit       []Action       `json:"on_exit"`
	Regions      []RegionDef    `json:"regions,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

// TimeoutDef is a state's `timeout:`, an implicit `_timeout` transition.
type TimeoutDef struct {
	Seconds     float64 `json:"seconds"`
	Destination string  `json:"destination"`
}

// Millis is the timeout in whole milliseconds.
func (t TimeoutDef) Millis() int64 { return int64(t.Seconds*1000 + 0.5) }

// RegionDef is one region of a parallel state.
type RegionDef struct {
	Name    string   `json:"name"`
	Initial string   `json:"initial"`
	States  []string `json:"states"`
}

// TransitionDef is one entry of `transitions:`.
type TransitionDef struct {
	Trigger     string         `json:"trigger"`
	Source      []string       `json:"source"`
	Dest        string         `json:"dest"`
	Guards      []GuardRef     `json:"guards"`
	Actions     []Action       `json:"actions"`
	Region      string         `json:"region,omitempty"`
	Description string         `json:"description,omitempty"`
	After       *Delay         `json:"after,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
	// Implicit marks the `_timeout` transitions made from states' timeouts.
	Implicit bool `json:"implicit,omitempty"`
}

// GuardRef is one guard of a transition: a name (registered function, a
// `guards:` expression, or unbound) or an inline expression.
type GuardRef struct {
	Name string `json:"name,omitempty"`
	Expr string `json:"expr,omitempty"`
}

// Label is how the guard is shown: its name, or the inline expression.
func (g GuardRef) Label() string {
	if g.Name != "" {
		return g.Name
	}
	return g.Expr
}

// Action names an action with optional parameters.
type Action struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params,omitempty"`
}

// Delay is a transition's `after:` value.
type Delay struct {
	Millis int64  `json:"ms"`
	Raw    string `json:"raw"`
}

// ErrorPolicy is the reserved `error_policy:` block; it is validated and kept.
type ErrorPolicy struct {
	DefaultFallback string `json:"default_fallback,omitempty"`
	RetryAttempts   int    `json:"retry_attempts,omitempty"`
}

// InitialState is the name of the root state typed `initial`, or "".
func (d *Definition) InitialState() string {
	for _, s := range d.States {
		if s.Type == StateInitial && s.Parent == "" {
			return s.Name
		}
	}
	return ""
}

// Defaults returns a context holding every state variable's default value.
func (d *Definition) Defaults() Context {
	ctx := Context{}
	for _, v := range d.StateVariables {
		if v.HasDefault {
			ctx[v.Key] = v.Default
		}
	}
	return ctx
}

// Event returns the declared event with that name.
func (d *Definition) Event(name string) (EventDef, bool) {
	for _, e := range d.Events {
		if e.Name == name {
			return e, true
		}
	}
	return EventDef{}, false
}
