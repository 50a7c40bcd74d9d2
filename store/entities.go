package store

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"

	"github.com/statorhq/stator/engine"
)

// entityIDRe is the rule for entity ids: they appear in URL paths, so no
// characters a path would need to escape, and not "." or ".." which
// browsers and proxies resolve away.
var entityIDRe = regexp.MustCompile(`^[A-Za-z0-9_.:@-]{1,128}$`)

// ValidEntityID reports whether id can name an entity.
func ValidEntityID(id string) bool { return entityIDRe.MatchString(id) && id != "." && id != ".." }

// CreateEntity creates an entity at its machine's initial state on the latest
// revision, arms the initial timers and writes the first history row.
func (s *Store) CreateEntity(ctx context.Context, ne NewEntity) (*Entity, error) {
	if ne.ID == "" {
		ne.ID = newID(12)
	} else if !ValidEntityID(ne.ID) {
		return nil, Errorf(EINVALID, "entity id %q: use 1 to 128 letters, digits and _ . : @ - (not only dots)", ne.ID)
	}
	var mach *Machine
	var err error
	switch {
	case ne.MachineID != "" && ne.MachineName != "":
		return nil, Errorf(EINVALID, "give machine_id or machine_name, not both")
	case ne.MachineID != "":
		mach, err = s.db.GetMachine(ctx, ne.MachineID)
	case ne.MachineName != "":
		mach, err = s.db.FindMachine(ctx, ne.MachineName, ne.MachineVersion)
	default:
		return nil, Errorf(EINVALID, "give machine_id or machine_name (with machine_version for a specific version)")
	}
	if err != nil {
		return nil, err
	}
	m, err := s.Compiled(ctx, mach.ID, mach.Revision)
	if err != nil {
		return nil, err
	}
	c := ne.Context
	if c == nil {
		c = engine.Context{}
	}
	ctxJSON, err := s.contextJSON(c)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	start := m.Start(c, now)
	e := &Entity{ID: ne.ID, MachineID: mach.ID, Revision: mach.Revision, State: start.State, Context: c,
		Version: 1, HistoryLen: 1, EnteredAt: now, CreatedAt: now, UpdatedAt: now, Timers: []Timer{}}
	for _, t := range start.Timers {
		e.Timers = append(e.Timers, Timer{EntityID: e.ID, Trigger: t.Trigger, Kind: t.Kind, State: t.State, AfterMs: t.AfterMs, DueAt: t.Due})
	}
	first := &HistoryRecord{Seq: 1, Trigger: CreatedTrigger, Payload: ctxJSON, TargetState: e.State, Success: true,
		Actions: []byte("[]"), Actor: actorOf(ctx, ne.Actor), At: now}
	if err := s.db.InsertEntity(ctx, e, first); err != nil {
		return nil, err
	}
	e.ContextBytes = len(ctxJSON)
	cp := *e
	s.ents.put(&cp)
	if len(e.Timers) > 0 {
		s.nudgeScheduler()
	}
	return e, nil
}

// contextJSON encodes a context, refusing one over the size limit.
func (s *Store) contextJSON(c engine.Context) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, &Error{Code: EINVALID, Message: "the context cannot be stored as JSON", Err: err}
	}
	if len(b) > s.opts.Limits.MaxContextBytes {
		return nil, &Error{Code: ETOOLARGE, Detail: "context_too_large",
			Message: "the context would be " + strconv.Itoa(len(b)) + " bytes of JSON; the limit is " + strconv.Itoa(s.opts.Limits.MaxContextBytes)}
	}
	return b, nil
}

// GetEntity returns an entity with its pending timers.
func (s *Store) GetEntity(ctx context.Context, id string) (*Entity, error) {
	return s.db.GetEntity(ctx, id)
}

// ListEntities lists entities, most recently updated first.
func (s *Store) ListEntities(ctx context.Context, f EntityFilter) ([]*Entity, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > 1000 {
		f.Limit = 1000
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	var states []string
	if f.State != "" {
		// the exact state strings in which f.State is active
		counts, err := s.db.StateCounts(ctx, f.MachineID)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, c := range counts {
			if seen[c.State] {
				continue
			}
			m, err := s.Compiled(ctx, c.MachineID, c.Revision)
			if err == nil && m.IsActive(c.State, f.State) {
				seen[c.State] = true
				states = append(states, c.State)
			}
		}
		if len(states) == 0 {
			return []*Entity{}, nil
		}
	}
	return s.db.ListEntities(ctx, f.MachineID, states, f.Limit, f.Offset)
}

// History returns a page of an entity's history.
func (s *Store) History(ctx context.Context, entityID string, q HistoryQuery) (*HistoryPage, error) {
	if q.Limit <= 0 {
		q.Limit = 100
	}
	if q.Limit > 1000 {
		return nil, Errorf(EINVALID, "limit is %d; at most 1000 history rows come in one page", q.Limit)
	}
	if q.After < 0 || q.Before < 0 {
		return nil, Errorf(EINVALID, "after and before are sequence numbers from 1")
	}
	// one more row than asked tells whether there is a next page
	ask := q
	ask.Limit++
	rows, err := s.db.History(ctx, entityID, ask)
	if err != nil {
		return nil, err
	}
	p := &HistoryPage{Events: rows}
	if len(rows) > q.Limit {
		p.Events = rows[:q.Limit]
		p.Next = p.Events[len(p.Events)-1].Seq
	}
	return p, nil
}
