package store

import (
	"time"

	"github.com/statorhq/stator/engine"
)

// Machine is a stored machine at a revision (the latest unless asked).
type Machine struct {
	ID          string
	Name        string
	Version     string
	Description string
	Revision    int
	YAML        string
	Hash        string // sha256 of YAML, hex
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// MachineSummary is a row of the machine list.
type MachineSummary struct {
	ID           string
	Name         string
	Version      string
	Description  string
	Revision     int
	UpdatedAt    time.Time
	Entities     int
	LiveEntities int // not in a terminal state
}

// Entity is a stored entity: its machine revision, state, context and timers.
type Entity struct {
	ID        string
	MachineID string
	Revision  int
	State     string
	Context   engine.Context
	// Version counts the accepted events (it starts at 1).
	Version int
	// HistoryLen is the number of history rows, and the sequence number of
	// the last one; every event, refused ones included, adds one. Writes of
	// an event compare it (compare-and-swap), so that events on one entity
	// are ordered even across several servers.
	HistoryLen int
	EnteredAt  time.Time
	Timers     []Timer
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// ContextBytes is the size of the context as stored (JSON), when known.
	ContextBytes int
}

// Timer is a pending timeout or delayed transition of an entity.
type Timer struct {
	ID       int64
	EntityID string
	Trigger  string
	Kind     string
	State    string
	AfterMs  int64
	DueAt    time.Time
}

// NewEntity describes an entity to create: on a machine given by id, or by
// name (and version, else the latest).
type NewEntity struct {
	ID             string
	MachineID      string
	MachineName    string
	MachineVersion string
	Context        engine.Context
	Actor          string
}

// EntityFilter selects entities of a machine, optionally those in a state.
// A state matches when it is active in the entity's state (a leaf, one of its
// ancestors, or a region's state of a parallel configuration).
type EntityFilter struct {
	MachineID string
	State     string
	Limit     int // default 100, at most 1000
	Offset    int
}

// MachineStats are the entity counts of one machine.
type MachineStats struct {
	MachineID string
	Total     int
	Live      int
	// Counts has, for every state, how many entities it is active in (a
	// parallel configuration counts in each region's state and the parallel
	// state; a leaf counts in its ancestors too).
	Counts map[string]int
	// ByState counts the entities' exact state strings.
	ByState map[string]int
}

// HistoryEvent is one row of an entity's history.
type HistoryEvent struct {
	Seq            int
	Trigger        string
	Payload        engine.Context
	SourceState    string
	TargetState    string
	Success        bool
	Error          *engine.Error
	Actions        []string
	ByTimer        bool
	IdempotencyKey string // "" when none
	Actor          string
	At             time.Time
}

// HistoryPage is one page of an entity's history. Next is the seq to ask
// for the next page (as After, or as Before for newest-first pages), 0 at
// the end.
type HistoryPage struct {
	Events []HistoryEvent
	Next   int
}

// HistoryQuery selects a page of history: the rows after seq After (0: from
// the start), at most Limit of them (default 100, at most 1000). Newest
// reverses the order: the newest rows before seq Before (0: the newest).
type HistoryQuery struct {
	After  int
	Before int
	Limit  int
	Newest bool
}

// Event is an event sent to an entity.
type Event struct {
	Trigger        string
	Payload        engine.Context
	IdempotencyKey string
	// GuardValues answer unbound guards; names not listed count as true.
	GuardValues engine.GuardValues
	// Actor is who sent it (a user, a token's label, "scheduler", "anonymous").
	Actor string
}

// Outcome is the answer to an event: the engine's result and the entity after
// it. Replayed is set when an idempotency key returned the first answer; the
// result is then the first one and the entity is as it is now.
type Outcome struct {
	Result   engine.Result
	Entity   *Entity
	Replayed bool
}

// Share is an immutable shared machine, optionally with a simulation trace.
// Its id is derived from its content: sharing the same text and trace twice
// gives the same id.
type Share struct {
	ID        string
	YAML      string
	Trace     []byte // JSON, or nil
	CreatedAt time.Time
}

// CreatedTrigger is the trigger of an entity's first history row.
const CreatedTrigger = "__entity_created__"

// SchedulerActor is the actor of events fired by timers.
const SchedulerActor = "scheduler"
