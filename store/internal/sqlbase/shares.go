package sqlbase

import (
	"context"
	"database/sql"
	"errors"

	"github.com/statorhq/stator/store"
)

// PutShare stores a share unless one with its id (a content hash) exists.
func (b *Base) PutShare(ctx context.Context, sh *store.Share) error {
	var trace any
	if sh.Trace != nil {
		trace = string(sh.Trace)
	}
	_, err := b.d.Writer.ExecContext(ctx, b.rebind(`INSERT INTO shares (id, yaml, trace, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		sh.ID, sh.YAML, trace, b.d.Time(sh.CreatedAt))
	return b.d.MapErr(err)
}

// GetShare returns a share.
func (b *Base) GetShare(ctx context.Context, id string) (*store.Share, error) {
	var row struct {
		ID        string         `db:"id"`
		YAML      string         `db:"yaml"`
		Trace     sql.NullString `db:"trace"`
		CreatedAt timeColumn     `db:"created_at"`
	}
	err := b.d.Reader.GetContext(ctx, &row, b.rebind(`SELECT id, yaml, trace, created_at FROM shares WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("share", id)
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	sh := &store.Share{ID: row.ID, YAML: row.YAML, CreatedAt: row.CreatedAt.Time}
	if row.Trace.Valid {
		sh.Trace = []byte(row.Trace.String)
	}
	return sh, nil
}
