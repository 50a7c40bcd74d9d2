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
