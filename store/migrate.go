package store

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/statorhq/stator/engine"
)

// MigratedTrigger is the trigger of the history row a migration writes.
const MigratedTrigger = "__migrated__"

// Migration moves a machine's entities to another revision (SPEC 6
// /migrate, 7.1).
type Migration struct {
	MachineID  string
	ToRevision int
	// FromRevision limits the migration to entities on that revision (0:
	// every revision but the target).
	FromRevision int
	// StateMap names where entities in states the target does not have
	// go (old name → state of the target revision).
	StateMap map[string]string
	DryRun   bool
	Actor    string
	// Progress, when set, is told how many entities were looked at so far.
	Progress func(done int)
}

// MigrationResult is what a migration did, or would do in a dry run.
type MigrationResult struct {
	DryRun bool
	// Moved counts the entities moved (or that would move).
	Moved int
	// ByState counts them by state before → state after.
	ByState map[string]map[string]int
	// Blocked lists entities that cannot move (at most MaxBlockedListed;
	// BlockedTotal counts them all).
	Blocked      []Blocked
	BlockedTotal int
	// Skipped counts entities that another migration or event moved first.
	Skipped int
}

// Blocked is an entity a migration cannot move, and why.
type Blocked struct {
	EntityID string
	State    string
	Reason   string
}

// MaxBlockedListed bounds the blocked entities a result lists.
const MaxBlockedListed = 1000

// migrationPage is how many entities are read at a time, and migrationWorkers
// how many are written at once (they fill the group commit's batches).
const (
	migrationPage    = 500
	migrationWorkers = 32
)

// Migrate moves a machine's entities to revision ToRevision: each entity's
// state is mapped (StateMap for states the target does not have; see
// engine.Machine.Remap), its timers are re-armed from the target's
// definitions (from when it entered its state, or from now when the state
// changed), and a history row records the move (from and to revision and
// state). Entities whose state has no place in the target, or that lack a
// required state variable, are blocked and stay. Each entity moves through
// the event writer with the same compare-and-swap as events, so events that
// arrive meanwhile are never lost and no entity is half-moved; memory stays
// bounded whatever the number of entities.
func (s *Store) Migrate(ctx context.Context, mg Migration) (*MigrationResult, error) {
	if _, err := s.db.GetMachine(ctx, mg.MachineID); err != nil {
		return nil, err
	}
	if mg.ToRevision < 1 {
		return nil, Errorf(EINVALID, "to_revision is required: the revision to move the entities to")
	}
	target, err := s.Compiled(ctx, mg.MachineID, mg.ToRevision)
	if err != nil {
		return nil, err
	}
	if mg.FromRevision != 0 {
		if mg.FromRevision == mg.ToRevision {
			return nil, Errorf(EINVALID, "from_revision and to_revision are both %d; there is nothing to move", mg.ToRevision)
		}
		if _, err := s.db.MachineAt(ctx, mg.MachineID, mg.FromRevision); err != nil {
			return nil, err
		}
	}
	var bad []string
	for from, to := range mg.StateMap {
		if !target.HasState(to) && target.ValidState(to) != nil {
			bad = append(bad, strconv.Quote(from)+" → "+strconv.Quote(to))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, &Error{Code: EINVALID, Detail: "unknown_state",
			Message: "state_map names states that revision " + strconv.Itoa(mg.ToRevision) + " does not have: " + strings.Join(bad, ", ")}
	}
	res := &MigrationResult{DryRun: mg.DryRun, ByState: map[string]map[string]int{}}
	var mu sync.Mutex
	count := func(from, to string) {
		if res.ByState[from] == nil {
			res.ByState[from] = map[string]int{}
		}
		res.ByState[from][to]++
		res.Moved++
	}
	block := func(e *Entity, reason string) {
		res.BlockedTotal++
		if len(res.Blocked) < MaxBlockedListed {
			res.Blocked = append(res.Blocked, Blocked{EntityID: e.ID, State: e.State, Reason: reason})
		}
	}
	done := 0
	after := ""
	for {
		page, err := s.db.EntitiesAfter(ctx, mg.MachineID, mg.ToRevision, mg.FromRevision, after, migrationPage)
		if err != nil {
			return res, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		work := make(chan *Entity)
		var wg sync.WaitGroup
		var firstErr error
		for w := 0; w < migrationWorkers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for e := range work {
					out, err := s.migrateOne(ctx, e, target, mg)
					mu.Lock()
					switch {
					case err != nil:
						if firstErr == nil {
							firstErr = err
						}
					case out.blocked != "":
						block(e, out.blocked)
					case out.skipped:
						res.Skipped++
					default:
						count(out.from, out.to)
					}
					mu.Unlock()
				}
			}()
		}
		for _, e := range page {
			if ctx.Err() != nil {
				break
			}
			work <- e
		}
		close(work)
		wg.Wait()
		if firstErr != nil {
			return res, firstErr
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
		done += len(page)
		if mg.Progress != nil {
			mg.Progress(done)
		}
	}
	return res, nil
}

type migrated struct {
	from, to string
	blocked  string
	skipped  bool
}

// plan says where an entity goes, or why it cannot.
func plan(e *Entity, target *engine.Machine, mg Migration) (string, string) {
	to, err := target.Remap(e.State, mg.StateMap)
	if err != nil {
		var reason string
		if errors.Is(err, engine.ErrUnmappable) {
			reason = strings.TrimPrefix(err.Error(), engine.ErrUnmappable.Error()+": ")
		}
		if reason == "" {
			reason = "its state has no place in the target revision"
		}
		return "", reason
	}
	var missing []string
	for _, v := range target.Definition().StateVariables {
		if x, ok := e.Context[v.Key]; v.Required && (!ok || x == nil) {
			missing = append(missing, v.Key)
		}
	}
	if len(missing) > 0 {
		return "", "the context lacks the required state variable " + strings.Join(missing, ", ")
	}
	return to, ""
}

// migrateOne moves one entity (or, in a dry run, says where it would go).
func (s *Store) migrateOne(ctx context.Context, e *Entity, target *engine.Machine, mg Migration) (migrated, error) {
	if mg.DryRun {
		to, why := plan(e, target, mg)
		return migrated{from: e.State, to: to, blocked: why}, nil
	}
	unlock, err := s.locks.lock(ctx, e.ID)
	if err != nil {
		return migrated{}, err
	}
	defer unlock()
	for attempt := 0; ; attempt++ {
		cur, err := s.db.GetEntity(ctx, e.ID)
		if errors.Is(err, ErrNotFound) {
			return migrated{skipped: true}, nil // deleted meanwhile
		}
		if err != nil {
			return migrated{}, err
		}
		if cur.Revision == mg.ToRevision || (mg.FromRevision != 0 && cur.Revision != mg.FromRevision) {
			return migrated{skipped: true}, nil // another migration moved it
		}
		to, why := plan(cur, target, mg)
		if why != "" {
			return migrated{blocked: why}, nil
		}
		w, err := s.migrationWrite(ctx, cur, to, target, mg)
		if err != nil {
			return migrated{}, err
		}
		err = s.submit(ctx, w)
		s.ents.forget(cur.ID)
		if err != nil {
			return migrated{}, err
		}
		switch {
		case w.Err == nil:
			if len(w.Arm) > 0 {
				s.nudgeScheduler()
			}
			return migrated{from: cur.State, to: to}, nil
		case errors.Is(w.Err, ErrConflict) && attempt < s.opts.MaxRetries:
			continue // an event came first: plan again on the new entity
		default:
			return migrated{}, w.Err
		}
	}
}

// migrationWrite is the write that moves an entity to the target revision.
func (s *Store) migrationWrite(ctx context.Context, cur *Entity, to string, target *engine.Machine, mg Migration) (*EventWrite, error) {
	now := s.clock.Now().UTC()
	after := *cur
	after.Revision, after.State = mg.ToRevision, to
	after.HistoryLen = cur.HistoryLen + 1
	after.UpdatedAt = now
	since := cur.EnteredAt
	if to != cur.State {
		after.EnteredAt, since = now, now
	}
	w := &EventWrite{EntityID: cur.ID, Base: cur.HistoryLen, Entity: &after}
	for _, t := range cur.Timers {
		w.Cancel = append(w.Cancel, t.ID)
	}
	timers, err := target.ActiveTimers(to)
	if err != nil {
		return nil, err
	}
	for _, t := range timers {
		w.Arm = append(w.Arm, &Timer{EntityID: cur.ID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs,
			DueAt: since.Add(time.Duration(t.AfterMs) * time.Millisecond)})
	}
	payload, _ := json.Marshal(map[string]int{"from_revision": cur.Revision, "to_revision": mg.ToRevision})
	w.History = &HistoryRecord{Seq: after.HistoryLen, Trigger: MigratedTrigger, Payload: payload, SourceState: cur.State,
		TargetState: to, Success: true, Actions: []byte("[]"), Actor: actorOf(ctx, mg.Actor), At: now}
	return w, nil
}
