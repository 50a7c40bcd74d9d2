package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/statorhq/stator/store"
)

// PutShare stores a share unless one with its id (a content hash) exists.
func (db *DB) PutShare(ctx context.Context, sh *store.Share) error {
	var trace any
	if sh.Trace != nil {
		trace = string(sh.Trace)
	}
	_, err := db.db.ExecContext(ctx, `INSERT INTO shares (id, yaml, trace, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
		sh.ID, sh.YAML, trace, formatTime(sh.CreatedAt))
	return mapErr(err)
}

// GetShare returns a share.
func (db *DB) GetShare(ctx context.Context, id string) (*store.Share, error) {
	var row struct {
		ID        string         `db:"id"`
		YAML      string         `db:"yaml"`
		Trace     sql.NullString `db:"trace"`
		CreatedAt time.Time      `db:"created_at"`
	}
	err := db.db.GetContext(ctx, &row, `SELECT id, yaml, trace, created_at FROM shares WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("share", id)
	}
	if err != nil {
		return nil, mapErr(err)
	}
	sh := &store.Share{ID: row.ID, YAML: row.YAML, CreatedAt: parseTime(row.CreatedAt)}
	if row.Trace.Valid {
		sh.Trace = []byte(row.Trace.String)
	}
	return sh, nil
}
