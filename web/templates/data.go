package templates

import "encoding/json"

// The data each page hands to its script, as JSON in a
// <script type="application/json"> block (never inline code: SPEC 12.1's
// CSP). One type per block; the field names are the scripts' contract.

// WorkspaceData starts the workspace script (workspace-data).
type WorkspaceData struct {
	Mode      string          `json:"mode"` // machine, new, share or draft
	MachineID string          `json:"machine_id,omitempty"`
	ShareID   string          `json:"share_id,omitempty"`
	Revision  int             `json:"revision,omitempty"`
	Template  string          `json:"template,omitempty"` // the template of a new workspace
	YAML      string          `json:"yaml"`
	Trace     json.RawMessage `json:"trace,omitempty"` // a shared simulation
}

// AnalysisData is what the workspace applies after each validation
// (analysis-data): the problems for the editor and the list, the diagram.
type AnalysisData struct {
	Valid   bool   `json:"valid"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Mermaid string `json:"mermaid,omitempty"`
	// MermaidEdges is the transition index of each drawn edge, in the
	// order Mermaid numbers them (engine.MermaidDiagram).
	MermaidEdges []int         `json:"mermaid_edges,omitempty"`
	Problems     []ProblemData `json:"problems"`
	// Model is the valid machine's states, transitions and names (nil
	// while the text has errors).
	Model *MachineModel `json:"model,omitempty"`
}

// ProblemData is one problem for the editor's markers.
type ProblemData struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Code     string `json:"code"`
}

// SimulatorData is the simulator panel's state for the page (sim-data): the
// current state, the diagram node ids to highlight, and the trace to post
// with the next operation.
type SimulatorData struct {
	State     string   `json:"state"`
	Highlight []string `json:"highlight"`
	Trace     any      `json:"trace"`
	// Transitions are the current state's candidate transitions for each
	// trigger available now, as the diagram marks them.
	Transitions []SimTransition `json:"transitions"`
}

// EntitiesData is the entity counts per state for the diagram's badges
// (entities-data).
type EntitiesData struct {
	Counts map[string]int `json:"counts"`
}

// EntityPageData starts the entity page's diagram (entity-page-data).
type EntityPageData struct {
	Mermaid        string `json:"mermaid"`
	MermaidEdges   []int  `json:"mermaid_edges,omitempty"`
	LatestRevision int    `json:"latest_revision"`
}

// EntityData is the entity's state on the diagram (entity-data).
type EntityData struct {
	State     string   `json:"state"`
	Highlight []string `json:"highlight"`
}

// MachineModel is the machine as the canvas needs it (analysis-data's
// "model"): the names the editor completes, what hovering a state or a
// transition shows, and what the inspector edits. It is the last valid
// text's definition; positions in the text are found by the page in the
// editor's own syntax tree, which is always the current text's.
type MachineModel struct {
	States      []StateModel      `json:"states"`
	Transitions []TransitionModel `json:"transitions"` // index = data-transition
	Triggers    []string          `json:"triggers"`    // used or declared under events, no synthetic ones
	Guards      []string          `json:"guards"`      // defined under guards or used by name
	GuardExprs  map[string]string `json:"guard_exprs,omitempty"`
	Actions     []string          `json:"actions"` // used in on_enter, on_exit and transitions
	Regions     []string          `json:"regions"`
}

// StateModel is one state: what a hover card shows and the inspector needs.
type StateModel struct {
	Name         string   `json:"name"`
	Type         string   `json:"type"`
	Parent       string   `json:"parent,omitempty"`
	InitialChild string   `json:"initial_child,omitempty"`
	Description  string   `json:"description,omitempty"`
	OnEnter      []string `json:"on_enter,omitempty"`
	OnExit       []string `json:"on_exit,omitempty"`
	Timeout      string   `json:"timeout,omitempty"` // "5s → timed_out_ack"
	Compound     bool     `json:"compound,omitempty"`
	Regions      []string `json:"regions,omitempty"`
}

// TransitionModel is one transition, in the order of the machine's
// transitions (a state's timeout is not one: it is on its state).
type TransitionModel struct {
	Trigger     string   `json:"trigger"`
	Source      []string `json:"source"`
	Dest        string   `json:"dest"`
	Guards      []string `json:"guards,omitempty"` // names, or inline expressions as written
	Actions     []string `json:"actions,omitempty"`
	After       string   `json:"after,omitempty"`
	Region      string   `json:"region,omitempty"`
	Description string   `json:"description,omitempty"`
}

// SimTransition is what the simulation says about one transition of the
// current state now (sim-data's "transitions"): whether it would fire, and
// if not why, with the answer of each guard that was evaluated.
type SimTransition struct {
	Index     int              `json:"index"`
	Trigger   string           `json:"trigger"`
	Available bool             `json:"available"`
	Reason    string           `json:"reason,omitempty"`
	Guards    []SimGuardAnswer `json:"guards,omitempty"`
}

// SimGuardAnswer is one guard of a transition as the simulation evaluated it.
type SimGuardAnswer struct {
	Guard  string `json:"guard"`
	Passed bool   `json:"passed"`
	Error  string `json:"error,omitempty"`
}
