package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"

	"github.com/statorhq/stator/engine"
)

// SaveOptions qualify a save of a machine.
type SaveOptions struct {
	// BaseRevision is the revision the text was edited from; when the head
	// has moved past it the save is refused (ErrConflict with
	// Fields["head_revision"]) and nothing is written. 0 accepts any head.
	BaseRevision int
	// Author is who saves (a user or a token's label); "" records the
	// principal of the context (NewContext), else "anonymous".
	Author string
}

func hashText(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// loadMachine compiles machine text; an invalid machine is the engine's
// *ValidationError (errors.Is ErrInvalidMachine) with every problem.
func loadMachine(text string) (*engine.Machine, error) {
	m, _, err := engine.Load([]byte(text))
	return m, err
}

// CreateMachine validates and stores a new machine as revision 1. A machine
// with the same name and version is a conflict.
func (s *Store) CreateMachine(ctx context.Context, text string) (*Machine, error) {
	return s.CreateMachineAs(ctx, text, "")
}

// CreateMachineAs is CreateMachine recording the author of revision 1 (""
// records the principal of the context, else "anonymous").
func (s *Store) CreateMachineAs(ctx context.Context, text, author string) (*Machine, error) {
	em, err := loadMachine(text)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	m := &Machine{ID: newID(10), Name: em.Name(), Version: em.Version(), Description: em.Description(), Revision: 1,
		YAML: text, Hash: hashText(text), CreatedAt: now, UpdatedAt: now}
	if err := s.db.InsertMachine(ctx, m, actorOf(ctx, author)); err != nil {
		return nil, err
	}
	s.cache.put(revKey{m.ID, 1}, em)
	return m, nil
}

// UpdateMachine stores new text for a machine as a new revision, whatever the
// head is. Entities already running stay on their revision. Text identical to
// the latest revision changes nothing.
func (s *Store) UpdateMachine(ctx context.Context, id, text string) (*Machine, error) {
	return s.SaveMachine(ctx, id, text, SaveOptions{})
}

// SaveMachine stores text as the next revision of a machine, refusing a save
// based on a revision that is no longer the head (see SaveOptions).
func (s *Store) SaveMachine(ctx context.Context, id, text string, o SaveOptions) (*Machine, error) {
	em, err := loadMachine(text)
	if err != nil {
		return nil, err
	}
	cur, err := s.db.GetMachine(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.BaseRevision > 0 && cur.Revision != o.BaseRevision {
		return nil, headMoved(cur.Revision, o.BaseRevision)
	}
	hash := hashText(text)
	if hash == cur.Hash {
		return cur, nil
	}
	now := s.clock.Now().UTC()
	next := &Machine{ID: id, Name: em.Name(), Version: em.Version(), Description: em.Description(),
		YAML: text, Hash: hash, CreatedAt: cur.CreatedAt, UpdatedAt: now}
	rev, err := s.db.InsertRevision(ctx, id, cur.Revision, next, actorOf(ctx, o.Author))
	if err != nil {
		var e *Error
		if o.BaseRevision == 0 && errors.As(err, &e) && e.Fields["head_revision"] != nil {
			// someone saved between our read and our write; without a base
			// revision the save is accepted over theirs
			return s.SaveMachine(ctx, id, text, o)
		}
		return nil, err
	}
	next.Revision = rev
	s.cache.put(revKey{id, rev}, em)
	return next, nil
}

// headMoved is the answer to a save based on an old revision.
func headMoved(head, base int) *Error {
	return &Error{Code: ECONFLICT, Detail: "revision_conflict",
		Message: "the machine was saved by someone else since revision " + strconv.Itoa(base) + " (the head is revision " + strconv.Itoa(head) + "); reload it or save again over it",
		Fields:  map[string]any{"head_revision": head, "base_revision": base}}
}

// GetMachine returns a machine at its latest revision.
func (s *Store) GetMachine(ctx context.Context, id string) (*Machine, error) {
	return s.db.GetMachine(ctx, id)
}

// FindMachine returns the machine with that name and version, or with an
// empty version the most recently updated machine of that name.
func (s *Store) FindMachine(ctx context.Context, name, version string) (*Machine, error) {
	return s.db.FindMachine(ctx, name, version)
}

// MachineAt returns a machine with the text of one of its revisions.
func (s *Store) MachineAt(ctx context.Context, id string, rev int) (*Machine, error) {
	return s.db.MachineAt(ctx, id, rev)
}

// Revisions lists a machine's revisions, newest first.
func (s *Store) Revisions(ctx context.Context, id string) ([]RevisionInfo, error) {
	return s.db.Revisions(ctx, id)
}

// Compiled returns the compiled machine of a revision (cached: revisions are
// immutable).
func (s *Store) Compiled(ctx context.Context, id string, rev int) (*engine.Machine, error) {
	if m, ok := s.cache.get(revKey{id, rev}); ok {
		return m, nil
	}
	mr, err := s.db.MachineAt(ctx, id, rev)
	if err != nil {
		return nil, err
	}
	m, err := loadMachine(mr.YAML)
	if err != nil {
		// stored revisions were valid when written; a newer engine may disagree
		return nil, &Error{Code: EINTERNAL, Message: "machine " + id + " revision " + strconv.Itoa(rev) + " no longer loads", Err: err}
	}
	s.cache.put(revKey{id, rev}, m)
	return m, nil
}

// ListMachines lists every machine with its entity counts, most recently
// updated first.
func (s *Store) ListMachines(ctx context.Context) ([]MachineSummary, error) {
	ms, err := s.db.ListMachines(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := s.db.StateCounts(ctx, "")
	if err != nil {
		return nil, err
	}
	total, live := map[string]int{}, map[string]int{}
	for _, c := range counts {
		total[c.MachineID] += c.N
		m, err := s.Compiled(ctx, c.MachineID, c.Revision)
		if err != nil || !m.IsTerminal(c.State) {
			live[c.MachineID] += c.N
		}
	}
	out := make([]MachineSummary, 0, len(ms))
	for _, r := range ms {
		out = append(out, MachineSummary{ID: r.ID, Name: r.Name, Version: r.Version, Description: r.Description,
			Revision: r.Revision, UpdatedAt: r.UpdatedAt, Entities: total[r.ID], LiveEntities: live[r.ID]})
	}
	return out, nil
}

// CountMachines is the number of stored machines.
func (s *Store) CountMachines(ctx context.Context) (int, error) { return s.db.CountMachines(ctx) }

// DeleteMachine deletes a machine and its revisions. A machine that still has
// entities is a conflict unless cascade is set, which deletes them too.
func (s *Store) DeleteMachine(ctx context.Context, id string, cascade bool) error {
	return s.db.DeleteMachine(ctx, id, cascade)
}

// Stats counts a machine's entities per state.
func (s *Store) Stats(ctx context.Context, machineID string) (*MachineStats, error) {
	if _, err := s.db.GetMachine(ctx, machineID); err != nil {
		return nil, err
	}
	rows, err := s.db.StateCounts(ctx, machineID)
	if err != nil {
		return nil, err
	}
	st := &MachineStats{MachineID: machineID, Counts: map[string]int{}, ByState: map[string]int{}}
	for _, r := range rows {
		st.Total += r.N
		st.ByState[r.State] += r.N
		m, err := s.Compiled(ctx, machineID, r.Revision)
		if err != nil {
			st.Live += r.N
			continue
		}
		if !m.IsTerminal(r.State) {
			st.Live += r.N
		}
		active, err := m.ActiveStates(r.State)
		if err != nil {
			continue
		}
		for _, a := range active {
			st.Counts[a] += r.N
		}
	}
	return st, nil
}
