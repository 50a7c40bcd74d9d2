package sqlbase

import (
	"context"
	"database/sql"
	"errors"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/store"
)

type machineRow struct {
	ID          string     `db:"id"`
	Name        string     `db:"name"`
	Version     string     `db:"version"`
	Description string     `db:"description"`
	Revision    int        `db:"revision"`
	YAML        string     `db:"yaml"`
	Hash        string     `db:"hash"`
	CreatedAt   timeColumn `db:"created_at"`
	UpdatedAt   timeColumn `db:"updated_at"`
}

func (r machineRow) machine() *store.Machine {
	return &store.Machine{ID: r.ID, Name: r.Name, Version: r.Version, Description: r.Description, Revision: r.Revision,
		YAML: r.YAML, Hash: r.Hash, CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time}
}

const machineSelect = `SELECT m.id, m.name, m.version, m.description, m.revision, r.yaml, r.hash, m.created_at, m.updated_at
FROM machines m JOIN machine_revisions r ON r.machine_id = m.id AND r.revision = m.revision`

// notFound says which kind of thing with which id does not exist.
func notFound(kind, id string) error {
	return store.Errorf(store.ENOTFOUND, "%s %q does not exist", kind, id)
}

func nameTaken(name, version, id string) error {
	return store.Errorf(store.ECONFLICT, "a machine named %q with version %q already exists (id %s); change meta.version or edit that machine", name, version, id)
}

// InsertMachine stores a new machine with its first revision.
func (b *Base) InsertMachine(ctx context.Context, m *store.Machine, author string) error {
	return b.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := b.conflictCheck(ctx, tx, m.Name, m.Version, ""); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO machines (id, name, version, description, revision, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)`),
			m.ID, m.Name, m.Version, m.Description, b.d.Time(m.CreatedAt), b.d.Time(m.UpdatedAt)); err != nil {
			if b.d.IsUnique(err) {
				return nameTaken(m.Name, m.Version, "?")
			}
			return err
		}
		_, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO machine_revisions (machine_id, revision, yaml, hash, author, created_at) VALUES (?, 1, ?, ?, ?, ?)`),
			m.ID, m.YAML, m.Hash, author, b.d.Time(m.CreatedAt))
		return err
	})
}

func (b *Base) conflictCheck(ctx context.Context, tx *sqlx.Tx, name, version, except string) error {
	var other string
	err := tx.GetContext(ctx, &other, b.rebind(`SELECT id FROM machines WHERE name = ? AND version = ? AND id != ?`), name, version, except)
	if err == nil {
		return nameTaken(name, version, other)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// InsertRevision stores the next revision of a machine when its head is still base.
func (b *Base) InsertRevision(ctx context.Context, id string, base int, m *store.Machine, author string) (int, error) {
	var rev int
	err := b.inTx(ctx, func(tx *sqlx.Tx) error {
		var head int
		if err := tx.GetContext(ctx, &head, b.rebind(`SELECT revision FROM machines WHERE id = ?`), id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("machine", id)
			}
			return err
		}
		if base > 0 && head != base {
			return &store.Error{Code: store.ECONFLICT, Detail: "revision_conflict", Message: "the machine was saved by someone else meanwhile",
				Fields: map[string]any{"head_revision": head, "base_revision": base}}
		}
		if err := b.conflictCheck(ctx, tx, m.Name, m.Version, id); err != nil {
			return err
		}
		rev = head + 1
		if _, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO machine_revisions (machine_id, revision, yaml, hash, author, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			id, rev, m.YAML, m.Hash, author, b.d.Time(m.UpdatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, b.rebind(`UPDATE machines SET name = ?, version = ?, description = ?, revision = ?, updated_at = ? WHERE id = ?`),
			m.Name, m.Version, m.Description, rev, b.d.Time(m.UpdatedAt), id)
		return err
	})
	return rev, err
}

// GetMachine returns a machine at its latest revision.
func (b *Base) GetMachine(ctx context.Context, id string) (*store.Machine, error) {
	var row machineRow
	err := b.d.Reader.GetContext(ctx, &row, b.rebind(machineSelect+` WHERE m.id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("machine", id)
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	return row.machine(), nil
}

// FindMachine finds a machine by name and version (latest of the name when
// version is empty).
func (b *Base) FindMachine(ctx context.Context, name, version string) (*store.Machine, error) {
	var row machineRow
	var err error
	if version != "" {
		err = b.d.Reader.GetContext(ctx, &row, b.rebind(machineSelect+` WHERE m.name = ? AND m.version = ?`), name, version)
	} else {
		err = b.d.Reader.GetContext(ctx, &row, b.rebind(machineSelect+` WHERE m.name = ? ORDER BY m.updated_at DESC LIMIT 1`), name)
	}
	if errors.Is(err, sql.ErrNoRows) {
		if version != "" {
			return nil, store.Errorf(store.ENOTFOUND, "machine %q with version %q does not exist", name, version)
		}
		return nil, store.Errorf(store.ENOTFOUND, "machine %q does not exist", name)
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	return row.machine(), nil
}

// MachineAt returns a machine with the text of revision rev.
func (b *Base) MachineAt(ctx context.Context, id string, rev int) (*store.Machine, error) {
	var row machineRow
	err := b.d.Reader.GetContext(ctx, &row, b.rebind(`SELECT m.id, m.name, m.version, m.description, r.revision, r.yaml, r.hash, m.created_at, r.created_at AS updated_at
		FROM machines m JOIN machine_revisions r ON r.machine_id = m.id WHERE m.id = ? AND r.revision = ?`), id, rev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.Errorf(store.ENOTFOUND, "machine %q has no revision %d", id, rev)
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	return row.machine(), nil
}

// Revisions lists a machine's revisions, newest first.
func (b *Base) Revisions(ctx context.Context, id string) ([]store.RevisionInfo, error) {
	var rows []struct {
		Revision  int        `db:"revision"`
		Hash      string     `db:"hash"`
		Author    string     `db:"author"`
		CreatedAt timeColumn `db:"created_at"`
	}
	if err := b.d.Reader.SelectContext(ctx, &rows, b.rebind(`SELECT revision, hash, author, created_at FROM machine_revisions WHERE machine_id = ? ORDER BY revision DESC`), id); err != nil {
		return nil, b.d.MapErr(err)
	}
	if len(rows) == 0 {
		return nil, notFound("machine", id)
	}
	out := make([]store.RevisionInfo, len(rows))
	for i, r := range rows {
		out[i] = store.RevisionInfo{Revision: r.Revision, Hash: r.Hash, Author: r.Author, CreatedAt: r.CreatedAt.Time}
	}
	return out, nil
}

// ListMachines lists machines with their head text, most recently updated first.
func (b *Base) ListMachines(ctx context.Context) ([]store.Machine, error) {
	var rows []machineRow
	if err := b.d.Reader.SelectContext(ctx, &rows, `SELECT id, name, version, description, revision, '' AS yaml, '' AS hash, created_at, updated_at
		FROM machines ORDER BY updated_at DESC, name`); err != nil {
		return nil, b.d.MapErr(err)
	}
	out := make([]store.Machine, len(rows))
	for i, r := range rows {
		out[i] = *r.machine()
	}
	return out, nil
}

// CountMachines is the number of machines.
func (b *Base) CountMachines(ctx context.Context) (int, error) {
	var n int
	err := b.d.Reader.GetContext(ctx, &n, `SELECT COUNT(*) FROM machines`)
	return n, b.d.MapErr(err)
}

// DeleteMachine deletes a machine, its revisions and (with cascade) its entities.
func (b *Base) DeleteMachine(ctx context.Context, id string, cascade bool) error {
	return b.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, b.rebind(`SELECT COUNT(*) FROM machines WHERE id = ?`), id); err != nil {
			return err
		}
		if n == 0 {
			return notFound("machine", id)
		}
		if err := tx.GetContext(ctx, &n, b.rebind(`SELECT COUNT(*) FROM entities WHERE machine_id = ?`), id); err != nil {
			return err
		}
		if n > 0 && !cascade {
			return &store.Error{Code: store.ECONFLICT, Detail: "machine_has_entities",
				Message: "the machine has " + plural(n, "entity", "entities") + "; delete them too (cascade) or keep the machine",
				Fields:  map[string]any{"entities": n}}
		}
		if _, err := tx.ExecContext(ctx, b.rebind(`DELETE FROM entities WHERE machine_id = ?`), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, b.rebind(`DELETE FROM machines WHERE id = ?`), id)
		return err
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// StateCounts counts entities by machine, revision and exact state.
func (b *Base) StateCounts(ctx context.Context, machineID string) ([]store.StateCount, error) {
	var rows []struct {
		MachineID string `db:"machine_id"`
		Revision  int    `db:"revision"`
		State     string `db:"state"`
		N         int    `db:"n"`
	}
	q := `SELECT machine_id, revision, state, COUNT(*) AS n FROM entities`
	var args []any
	if machineID != "" {
		q += ` WHERE machine_id = ?`
		args = append(args, machineID)
	}
	q += ` GROUP BY machine_id, revision, state`
	if err := b.d.Reader.SelectContext(ctx, &rows, b.rebind(q), args...); err != nil {
		return nil, b.d.MapErr(err)
	}
	out := make([]store.StateCount, len(rows))
	for i, r := range rows {
		out[i] = store.StateCount{MachineID: r.MachineID, Revision: r.Revision, State: r.State, N: r.N}
	}
	return out, nil
}
