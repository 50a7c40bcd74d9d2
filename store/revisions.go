package store

import (
	"context"
	"strconv"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/diff"
)

// Revision is one revision of a machine as the revisions list shows it: who
// saved it when, and a one-line summary of what it changed from the one
// before it.
type Revision struct {
	RevisionInfo
	Summary string
	// Entities counts the machine's entities on this revision.
	Entities int
}

// RevisionList lists a machine's revisions, newest first, with a summary of
// each one's changes and how many entities are on it.
func (s *Store) RevisionList(ctx context.Context, id string) ([]Revision, error) {
	infos, err := s.db.Revisions(ctx, id)
	if err != nil {
		return nil, err
	}
	counts, err := s.db.StateCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	perRev := map[int]int{}
	for _, c := range counts {
		perRev[c.Revision] += c.N
	}
	out := make([]Revision, len(infos))
	for i, ri := range infos {
		out[i] = Revision{RevisionInfo: ri, Entities: perRev[ri.Revision]}
		if ri.Revision == 1 {
			out[i].Summary = "created"
			continue
		}
		changes, err := s.changes(ctx, id, ri.Revision-1, ri.Revision)
		if err != nil {
			out[i].Summary = "(the revisions cannot be compared)"
			continue
		}
		out[i].Summary = diff.Summary(changes)
	}
	return out, nil
}

func (s *Store) changes(ctx context.Context, id string, from, to int) ([]diff.Change, error) {
	a, err := s.Compiled(ctx, id, from)
	if err != nil {
		return nil, err
	}
	b, err := s.Compiled(ctx, id, to)
	if err != nil {
		return nil, err
	}
	return diff.Changes(a.Definition(), b.Definition()), nil
}

// Comparison is the difference between two revisions of a machine: the
// semantic changes and a unified diff of the texts.
type Comparison struct {
	From, To int
	Changes  []diff.Change
	TextDiff string
}

// Compare compares two revisions of a machine (from may be later than to;
// a revision with itself is no change).
func (s *Store) Compare(ctx context.Context, id string, from, to int) (*Comparison, error) {
	a, err := s.db.MachineAt(ctx, id, from)
	if err != nil {
		return nil, err
	}
	b, err := s.db.MachineAt(ctx, id, to)
	if err != nil {
		return nil, err
	}
	changes, err := s.changes(ctx, id, from, to)
	if err != nil {
		return nil, err
	}
	if changes == nil {
		changes = []diff.Change{}
	}
	return &Comparison{From: from, To: to, Changes: changes,
		TextDiff: diff.Text("revision "+strconv.Itoa(from), "revision "+strconv.Itoa(to), a.YAML, b.YAML)}, nil
}

// Restore makes the text of revision rev the machine's new head revision.
// o.BaseRevision guards against a head that moved, as for a save. Restoring
// the head itself is refused; a revision whose text is the head's changes
// nothing.
func (s *Store) Restore(ctx context.Context, id string, rev int, o SaveOptions) (*Machine, error) {
	head, err := s.db.GetMachine(ctx, id)
	if err != nil {
		return nil, err
	}
	if rev == head.Revision {
		return nil, Errorf(EINVALID, "revision %d is the head already; there is nothing to restore", rev)
	}
	old, err := s.db.MachineAt(ctx, id, rev)
	if err != nil {
		return nil, err
	}
	m, err := s.SaveMachine(ctx, id, old.YAML, o)
	if err != nil {
		if ve, ok := err.(*engine.ValidationError); ok {
			// a revision the engine of today no longer accepts
			return nil, &Error{Code: ECONFLICT, Message: "revision " + strconv.Itoa(rev) + " no longer loads with this version of Stator: " + ve.Error(), Err: err}
		}
		return nil, err
	}
	return m, nil
}
