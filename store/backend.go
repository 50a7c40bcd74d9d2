package store

import (
	"context"
	"time"

	"github.com/statorhq/stator/engine"
)

// Backend is what a database adapter (store/sqlite, store/postgres) gives
// the store: the SQL of each operation in its dialect, every method one
// transaction. The rules (validation, limits, the event algorithm, group
// commit, the scheduler) live in Store, once, above every adapter.
//
// Not found is ErrNotFound, a unique clash is ErrConflict and a busy
// database is ErrUnavailable, each as an *Error with a message for people.
type Backend interface {
	// Dialect names the adapter ("sqlite", "postgres").
	Dialect() string
	// Ready checks that the database answers and its migrations are applied.
	Ready(ctx context.Context) error
	Close() error

	// InsertMachine stores a new machine with its first revision. A machine
	// with the same name and version is ErrConflict.
	InsertMachine(ctx context.Context, m *Machine, author string) error
	// InsertRevision stores text as the next revision of machine id and makes
	// it the head, when the head is still base (base 0: any head). It
	// returns the new revision number. A moved head is ErrConflict with
	// Fields["head_revision"]; a name+version clash with another machine is
	// ErrConflict too.
	InsertRevision(ctx context.Context, id string, base int, r *Machine, author string) (int, error)
	GetMachine(ctx context.Context, id string) (*Machine, error)
	// FindMachine finds by name and version, or with an empty version the
	// most recently updated machine of that name.
	FindMachine(ctx context.Context, name, version string) (*Machine, error)
	// MachineAt is the machine with the text of revision rev.
	MachineAt(ctx context.Context, id string, rev int) (*Machine, error)
	// Revisions lists a machine's revisions, newest first.
	Revisions(ctx context.Context, id string) ([]RevisionInfo, error)
	// ListMachines lists machines (without their text), most recently
	// updated first.
	ListMachines(ctx context.Context) ([]Machine, error)
	CountMachines(ctx context.Context) (int, error)
	// DeleteMachine deletes a machine and its revisions; with cascade its
	// entities too, else a machine with entities is ErrConflict.
	DeleteMachine(ctx context.Context, id string, cascade bool) error
	// StateCounts counts entities by (machine, revision, exact state); an
	// empty machineID counts every machine's.
	StateCounts(ctx context.Context, machineID string) ([]StateCount, error)

	// InsertEntity stores a new entity with its first history row and its
	// timers (their IDs are set). An existing id is ErrConflict.
	InsertEntity(ctx context.Context, e *Entity, first *HistoryRecord) error
	// GetEntity returns an entity with its pending timers.
	GetEntity(ctx context.Context, id string) (*Entity, error)
	// EntityRow returns an entity without reading its timers (Timers is
	// empty): the event path reads them only when the entity's states arm
	// timers at all.
	EntityRow(ctx context.Context, id string) (*Entity, error)
	// EntityTimers lists an entity's pending timers, earliest first.
	EntityTimers(ctx context.Context, id string) ([]Timer, error)
	// ListEntities lists a machine's entities (all machines' when
	// MachineID is empty) whose exact state is one of states (any state
	// when states is nil), most recently updated first.
	ListEntities(ctx context.Context, machineID string, states []string, limit, offset int) ([]*Entity, error)
	// EntitiesAfter lists, in id order, up to limit entities of a machine
	// with id > afterID whose revision is not notRevision (and is
	// onRevision when that is not 0): the entities a migration visits.
	EntitiesAfter(ctx context.Context, machineID string, notRevision, onRevision int, afterID string, limit int) ([]*Entity, error)
	// History returns a page of an entity's history.
	History(ctx context.Context, entityID string, q HistoryQuery) ([]HistoryEvent, error)
	// Answer returns the stored answer of an idempotency key of an entity,
	// or ErrNotFound.
	Answer(ctx context.Context, entityID, key string) (*StoredAnswer, error)

	// CommitEvents writes a batch of events in one transaction (group
	// commit). Each write is applied only if the entity's HistoryLen is
	// still write.Base and it still belongs to write.Entity.MachineID (and,
	// for a timer, the timer still exists); otherwise
	// nothing of it is written and its Err is set to ErrConflict (or
	// ErrTimerGone). An error returned means nothing was committed.
	CommitEvents(ctx context.Context, batch []*EventWrite) error

	// ClaimTimers leases up to limit timers due at now, whose lease is free
	// or expired, until leaseUntil, and returns them earliest first.
	ClaimTimers(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Timer, error)
	// NextDue is the due time of the earliest timer, ok=false when none.
	NextDue(ctx context.Context) (due time.Time, ok bool, err error)
	// PendingTimers counts the pending timers.
	PendingTimers(ctx context.Context) (int, error)

	// PutShare stores a share; a share with the same id is already there
	// (ids are content hashes), which is not an error.
	PutShare(ctx context.Context, sh *Share) error
	GetShare(ctx context.Context, id string) (*Share, error)

	// AccountBackend is the SQL of users, sessions, tokens and log-in
	// throttling (store/accounts.go).
	AccountBackend
}

// RevisionInfo describes one revision of a machine.
type RevisionInfo struct {
	Revision  int
	Hash      string
	Author    string
	CreatedAt time.Time
}

// StateCount is how many entities of a machine revision are in one exact state.
type StateCount struct {
	MachineID string
	Revision  int
	State     string
	N         int
}

// HistoryRecord is a history row to write.
type HistoryRecord struct {
	Seq            int
	Trigger        string
	Payload        []byte // JSON object, or nil
	SourceState    string
	TargetState    string
	Success        bool
	Error          []byte // JSON, or nil
	Actions        []byte // JSON array
	ByTimer        bool
	IdempotencyKey string // "" for none
	RequestHash    string // of trigger + payload, for a reused key
	Response       []byte // the result's JSON, kept for idempotent replays
	Actor          string
	At             time.Time
}

// StoredAnswer is what an idempotency key recorded: the request's hash and
// the result it got.
type StoredAnswer struct {
	RequestHash string
	Response    []byte
}

// EventWrite is one event's writes, computed before the transaction.
type EventWrite struct {
	EntityID string
	// Base is the HistoryLen the event was computed on.
	Base int
	// Entity is the entity after the event (HistoryLen = Base+1).
	Entity *Entity
	// TimerID is the timer this event fires (0 for an event sent by a
	// client): it is deleted with the event, and missing means the event is
	// not applied (ErrTimerGone).
	TimerID int64
	// Cancel and Arm are the timer changes; Arm's IDs are set by the write.
	Cancel []int64
	Arm    []*Timer
	// History is the event's row.
	History *HistoryRecord

	// Err is set by CommitEvents for a write it did not apply.
	Err error
}

// ErrTimerGone means a timer was cancelled or already fired: nothing to do.
var ErrTimerGone = Errorf(ECONFLICT, "the timer is no longer pending")

// pendingTimer converts a stored timer to the engine's form.
func (t Timer) pending() engine.PendingTimer {
	return engine.PendingTimer{Timer: engine.Timer{Trigger: t.Trigger, AfterMs: t.AfterMs, Kind: t.Kind, State: t.State}, Due: t.DueAt, ID: t.ID}
}
