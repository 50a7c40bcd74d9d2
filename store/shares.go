package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Share is an immutable shared machine, optionally with a simulation trace.
type Share struct {
	ID        string          `json:"id"`
	YAML      string          `json:"yaml"`
	Trace     json.RawMessage `json:"trace,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// CreateShare stores a share and returns it with its new short id.
func (s *Store) CreateShare(ctx context.Context, yaml string, trace json.RawMessage) (*Share, error) {
	sh := &Share{ID: newID(10), YAML: yaml, Trace: trace, CreatedAt: s.clock.Now().UTC()}
	var tr any
	if len(trace) > 0 && string(trace) != "null" {
		tr = string(trace)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO shares (id, yaml, trace, created_at) VALUES (?, ?, ?, ?)`, sh.ID, yaml, tr, formatTime(sh.CreatedAt))
	if err != nil {
		return nil, err
	}
	return sh, nil
}

// GetShare returns a share.
func (s *Store) GetShare(ctx context.Context, id string) (*Share, error) {
	var row struct {
		ID        string         `db:"id"`
		YAML      string         `db:"yaml"`
		Trace     sql.NullString `db:"trace"`
		CreatedAt string         `db:"created_at"`
	}
	err := s.r.GetContext(ctx, &row, `SELECT id, yaml, trace, created_at FROM shares WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("share %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	sh := &Share{ID: row.ID, YAML: row.YAML, CreatedAt: parseTime(row.CreatedAt)}
	if row.Trace.Valid {
		sh.Trace = json.RawMessage(row.Trace.String)
	}
	return sh, nil
}
