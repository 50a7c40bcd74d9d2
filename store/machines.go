package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/engine"
)

// Machine is a stored machine at its latest revision.
type Machine struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Version     string    `json:"version"`
	Description string    `json:"description"`
	Revision    int       `json:"revision"`
	YAML        string    `json:"yaml"`
	Hash        string    `json:"hash"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MachineSummary is a row of the machine list.
type MachineSummary struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Version      string    `json:"version"`
	Description  string    `json:"description"`
	Revision     int       `json:"revision"`
	UpdatedAt    time.Time `json:"updated_at"`
	Entities     int       `json:"entities"`
	LiveEntities int       `json:"live_entities"` // not in a terminal state
}

type machineRow struct {
	ID          string `db:"id"`
	Name        string `db:"name"`
	Version     string `db:"version"`
	Description string `db:"description"`
	Revision    int    `db:"revision"`
	YAML        string `db:"yaml"`
	Hash        string `db:"hash"`
	CreatedAt   string `db:"created_at"`
	UpdatedAt   string `db:"updated_at"`
}

func (r machineRow) machine() *Machine {
	return &Machine{ID: r.ID, Name: r.Name, Version: r.Version, Description: r.Description, Revision: r.Revision,
		YAML: r.YAML, Hash: r.Hash, CreatedAt: parseTime(r.CreatedAt), UpdatedAt: parseTime(r.UpdatedAt)}
}

const machineSelect = `SELECT m.id, m.name, m.version, m.description, m.revision, r.yaml, r.hash, m.created_at, m.updated_at
FROM machines m JOIN machine_revisions r ON r.machine_id = m.id AND r.revision = m.revision`

func hashText(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// validateMachine compiles the text; an invalid machine returns the engine's
// *ValidationError (errors.Is ErrInvalidMachine) with every problem.
func validateMachine(text string) (*engine.Machine, error) {
	m, _, err := engine.Load([]byte(text))
	return m, err
}

// CreateMachine validates and stores a new machine as revision 1. A machine
// with the same name and version is a conflict.
func (s *Store) CreateMachine(ctx context.Context, text string) (*Machine, error) {
	em, err := validateMachine(text)
	if err != nil {
		return nil, err
	}
	now := formatTime(s.clock.Now())
	id := newID(10)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := conflictCheck(ctx, tx, em.Name(), em.Version(), ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO machines (id, name, version, description, revision, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)`,
			id, em.Name(), em.Version(), em.Description(), now, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO machine_revisions (machine_id, revision, yaml, hash, created_at) VALUES (?, 1, ?, ?, ?)`,
			id, text, hashText(text), now)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.cache.put(revKey{id, 1}, em)
	return s.GetMachine(ctx, id)
}

func conflictCheck(ctx context.Context, tx *sqlx.Tx, name, version, except string) error {
	var other string
	err := tx.GetContext(ctx, &other, `SELECT id FROM machines WHERE name = ? AND version = ? AND id != ?`, name, version, except)
	if err == nil {
		return fmt.Errorf("a machine named %q with version %q already exists (id %s); change meta.version or edit that machine: %w", name, version, other, ErrConflict)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// UpdateMachine stores new text for a machine as a new revision. Entities
// already running stay on their revision. Text identical to the latest
// revision changes nothing.
func (s *Store) UpdateMachine(ctx context.Context, id, text string) (*Machine, error) {
	em, err := validateMachine(text)
	if err != nil {
		return nil, err
	}
	cur, err := s.GetMachine(ctx, id)
	if err != nil {
		return nil, err
	}
	hash := hashText(text)
	if hash == cur.Hash {
		return cur, nil
	}
	now := formatTime(s.clock.Now())
	var rev int
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := conflictCheck(ctx, tx, em.Name(), em.Version(), id); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &rev, `SELECT revision + 1 FROM machines WHERE id = ?`, id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("machine %q: %w", id, ErrNotFound)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO machine_revisions (machine_id, revision, yaml, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, rev, text, hash, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE machines SET name = ?, version = ?, description = ?, revision = ?, updated_at = ? WHERE id = ?`,
			em.Name(), em.Version(), em.Description(), rev, now, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.cache.put(revKey{id, rev}, em)
	return s.GetMachine(ctx, id)
}

// GetMachine returns a machine at its latest revision.
func (s *Store) GetMachine(ctx context.Context, id string) (*Machine, error) {
	var row machineRow
	err := s.r.GetContext(ctx, &row, machineSelect+` WHERE m.id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("machine %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return row.machine(), nil
}

// FindMachine returns the machine with that name and version, or with an
// empty version the most recently updated machine of that name.
func (s *Store) FindMachine(ctx context.Context, name, version string) (*Machine, error) {
	var row machineRow
	var err error
	if version != "" {
		err = s.r.GetContext(ctx, &row, machineSelect+` WHERE m.name = ? AND m.version = ?`, name, version)
	} else {
		err = s.r.GetContext(ctx, &row, machineSelect+` WHERE m.name = ? ORDER BY m.updated_at DESC LIMIT 1`, name)
	}
	if errors.Is(err, sql.ErrNoRows) {
		if version != "" {
			return nil, fmt.Errorf("machine %q version %q: %w", name, version, ErrNotFound)
		}
		return nil, fmt.Errorf("machine %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return row.machine(), nil
}

// Revision returns the text of one revision of a machine.
func (s *Store) Revision(ctx context.Context, id string, rev int) (string, error) {
	var text string
	err := s.r.GetContext(ctx, &text, `SELECT yaml FROM machine_revisions WHERE machine_id = ? AND revision = ?`, id, rev)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("machine %q revision %d: %w", id, rev, ErrNotFound)
	}
	return text, err
}

// Compiled returns the compiled machine of a revision (cached: revisions are
// immutable).
func (s *Store) Compiled(ctx context.Context, id string, rev int) (*engine.Machine, error) {
	if m, ok := s.cache.get(revKey{id, rev}); ok {
		return m, nil
	}
	text, err := s.Revision(ctx, id, rev)
	if err != nil {
		return nil, err
	}
	return s.compileRevision(id, rev, text)
}

// compiledTx is Compiled inside a write transaction.
func (s *Store) compiledTx(ctx context.Context, tx *sqlx.Tx, id string, rev int) (*engine.Machine, error) {
	if m, ok := s.cache.get(revKey{id, rev}); ok {
		return m, nil
	}
	var text string
	if err := tx.GetContext(ctx, &text, `SELECT yaml FROM machine_revisions WHERE machine_id = ? AND revision = ?`, id, rev); err != nil {
		return nil, fmt.Errorf("machine %q revision %d: %w", id, rev, err)
	}
	return s.compileRevision(id, rev, text)
}

func (s *Store) compileRevision(id string, rev int, text string) (*engine.Machine, error) {
	m, _, err := engine.Load([]byte(text))
	if err != nil {
		// stored revisions were valid when written; a newer engine may disagree
		return nil, fmt.Errorf("machine %q revision %d no longer loads: %w", id, rev, err)
	}
	s.cache.put(revKey{id, rev}, m)
	return m, nil
}

// ListMachines lists every machine with its entity counts, most recently
// updated first.
func (s *Store) ListMachines(ctx context.Context) ([]MachineSummary, error) {
	var rows []machineRow
	if err := s.r.SelectContext(ctx, &rows, machineSelect+` ORDER BY m.updated_at DESC, m.name`); err != nil {
		return nil, err
	}
	type countRow struct {
		MachineID string `db:"machine_id"`
		Revision  int    `db:"revision"`
		State     string `db:"state"`
		N         int    `db:"n"`
	}
	var counts []countRow
	if err := s.r.SelectContext(ctx, &counts, `SELECT machine_id, revision, state, COUNT(*) AS n FROM entities GROUP BY machine_id, revision, state`); err != nil {
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
	out := make([]MachineSummary, 0, len(rows))
	for _, r := range rows {
		out = append(out, MachineSummary{ID: r.ID, Name: r.Name, Version: r.Version, Description: r.Description,
			Revision: r.Revision, UpdatedAt: parseTime(r.UpdatedAt), Entities: total[r.ID], LiveEntities: live[r.ID]})
	}
	return out, nil
}

// CountMachines is the number of stored machines.
func (s *Store) CountMachines(ctx context.Context) (int, error) {
	var n int
	err := s.r.GetContext(ctx, &n, `SELECT COUNT(*) FROM machines`)
	return n, err
}

// DeleteMachine deletes a machine and its revisions. A machine that still has
// entities is a conflict unless cascade is set, which deletes them too.
func (s *Store) DeleteMachine(ctx context.Context, id string, cascade bool) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM machines WHERE id = ?`, id); err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("machine %q: %w", id, ErrNotFound)
		}
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM entities WHERE machine_id = ?`, id); err != nil {
			return err
		}
		if n > 0 && !cascade {
			return fmt.Errorf("machine %q has %d entities; delete them too with cascade=true: %w", id, n, ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM entities WHERE machine_id = ?`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM machines WHERE id = ?`, id)
		return err
	})
}
