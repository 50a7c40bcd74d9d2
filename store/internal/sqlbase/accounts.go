package sqlbase

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/statorhq/stator/store"
)

// The SQL of accounts (store.AccountBackend). Times are unix milliseconds.

type userRow struct {
	ID           string `db:"id"`
	Name         string `db:"name"`
	Role         string `db:"role"`
	PasswordHash string `db:"password_hash"`
	CreatedAt    int64  `db:"created_at"`
	UpdatedAt    int64  `db:"updated_at"`
}

const userColumns = `id, name, role, password_hash, created_at, updated_at`

func (r userRow) user() *store.User {
	return &store.User{ID: r.ID, Name: r.Name, Role: store.Role(r.Role), PasswordHash: r.PasswordHash,
		CreatedAt: msTime(r.CreatedAt), UpdatedAt: msTime(r.UpdatedAt)}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func msTime(v int64) time.Time { return time.UnixMilli(v).UTC() }

func userNotFound() error { return store.Errorf(store.ENOTFOUND, "there is no such user") }

// CountUsers counts the users.
func (b *Base) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := b.d.Reader.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`)
	return n, b.d.MapErr(err)
}

// InsertUser stores a new user.
func (b *Base) InsertUser(ctx context.Context, u *store.User) error {
	_, err := b.d.Writer.ExecContext(ctx, b.rebind(`INSERT INTO users (id, name, name_key, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		u.ID, u.Name, store.NameKey(u.Name), string(u.Role), u.PasswordHash, ms(u.CreatedAt), ms(u.UpdatedAt))
	if b.d.IsUnique(err) {
		return store.Errorf(store.ECONFLICT, "a user named %q already exists (names are the same whatever their case)", u.Name)
	}
	return b.d.MapErr(err)
}

// GetUser finds a user by the key of their name.
func (b *Base) GetUser(ctx context.Context, key string) (*store.User, error) {
	var r userRow
	err := b.d.Reader.GetContext(ctx, &r, b.rebind(`SELECT `+userColumns+` FROM users WHERE name_key = ?`), key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userNotFound()
	}
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	return r.user(), nil
}

// ListUsers lists the users by name.
func (b *Base) ListUsers(ctx context.Context) ([]store.User, error) {
	var rows []userRow
	if err := b.d.Reader.SelectContext(ctx, &rows, `SELECT `+userColumns+` FROM users ORDER BY name_key`); err != nil {
		return nil, b.d.MapErr(err)
	}
	out := make([]store.User, len(rows))
	for i, r := range rows {
		out[i] = *r.user()
	}
	return out, nil
}

// lastAdmin reports whether user id is an admin and no other user is. With
// row locks it locks the admins' rows (and the user's), so that two
// transactions cannot each demote one of the last two admins.
func (b *Base) lastAdmin(ctx context.Context, tx *sqlx.Tx, id string) (bool, error) {
	forUpdate := ""
	if b.d.RowLocks {
		forUpdate = ` FOR UPDATE`
	}
	var admins []string
	if err := tx.SelectContext(ctx, &admins, `SELECT id FROM users WHERE role = 'admin' ORDER BY id`+forUpdate); err != nil {
		return false, err
	}
	var role string
	if err := tx.GetContext(ctx, &role, b.rebind(`SELECT role FROM users WHERE id = ?`+forUpdate), id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, userNotFound()
		}
		return false, err
	}
	if role != string(store.RoleAdmin) {
		return false, nil
	}
	return len(admins) == 1 && admins[0] == id, nil
}

// UpdateUser writes a user's role, password hash and updated time.
func (b *Base) UpdateUser(ctx context.Context, u *store.User, endSessions bool) error {
	return b.inTx(ctx, func(tx *sqlx.Tx) error {
		last, err := b.lastAdmin(ctx, tx, u.ID)
		if err != nil {
			return err
		}
		if last && u.Role != store.RoleAdmin {
			return store.ErrLastAdmin
		}
		if _, err := tx.ExecContext(ctx, b.rebind(`UPDATE users SET role = ?, password_hash = ?, updated_at = ? WHERE id = ?`),
			string(u.Role), u.PasswordHash, ms(u.UpdatedAt), u.ID); err != nil {
			return err
		}
		if endSessions {
			_, err = tx.ExecContext(ctx, b.rebind(`DELETE FROM sessions WHERE user_id = ?`), u.ID)
		}
		return err
	})
}

// DeleteUser deletes a user with their sessions and tokens.
func (b *Base) DeleteUser(ctx context.Context, id string) error {
	return b.inTx(ctx, func(tx *sqlx.Tx) error {
		last, err := b.lastAdmin(ctx, tx, id)
		if err != nil {
			return err
		}
		if last {
			return store.ErrLastAdmin
		}
		// sessions and tokens go with the user (ON DELETE CASCADE)
		_, err = tx.ExecContext(ctx, b.rebind(`DELETE FROM users WHERE id = ?`), id)
		return err
	})
}

// InsertSession stores a session and deletes the expired ones.
func (b *Base) InsertSession(ctx context.Context, s *store.Session) error {
	return b.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, b.rebind(`DELETE FROM sessions WHERE expires_at < ?`), ms(s.CreatedAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`),
			s.Hash, s.UserID, ms(s.CreatedAt), ms(s.ExpiresAt))
		return err
	})
}

type sessionRow struct {
	Hash      string `db:"hash"`
	CreatedAt int64  `db:"s_created_at"`
	ExpiresAt int64  `db:"expires_at"`
	userRow
}

// GetSession returns a session and its user.
func (b *Base) GetSession(ctx context.Context, hash string) (*store.Session, *store.User, error) {
	var r sessionRow
	err := b.d.Reader.GetContext(ctx, &r, b.rebind(`SELECT s.hash, s.created_at AS s_created_at, s.expires_at,
		u.id, u.name, u.role, u.password_hash, u.created_at, u.updated_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`), hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, store.Errorf(store.ENOTFOUND, "there is no such session")
	}
	if err != nil {
		return nil, nil, b.d.MapErr(err)
	}
	return &store.Session{Hash: r.Hash, UserID: r.ID, CreatedAt: msTime(r.CreatedAt), ExpiresAt: msTime(r.ExpiresAt)}, r.user(), nil
}

// ExtendSession moves a session's expiry.
func (b *Base) ExtendSession(ctx context.Context, hash string, expires time.Time) error {
	_, err := b.d.Writer.ExecContext(ctx, b.rebind(`UPDATE sessions SET expires_at = ? WHERE hash = ?`), ms(expires), hash)
	return b.d.MapErr(err)
}

// DeleteSession deletes a session.
func (b *Base) DeleteSession(ctx context.Context, hash string) error {
	_, err := b.d.Writer.ExecContext(ctx, b.rebind(`DELETE FROM sessions WHERE hash = ?`), hash)
	return b.d.MapErr(err)
}

type tokenRow struct {
	ID         string        `db:"id"`
	UserID     string        `db:"user_id"`
	UserName   string        `db:"user_name"`
	Label      string        `db:"label"`
	Hash       string        `db:"hash"`
	CreatedAt  int64         `db:"created_at"`
	LastUsedAt sql.NullInt64 `db:"last_used_at"`
}

const tokenSelect = `SELECT t.id, t.user_id, u.name AS user_name, t.label, t.hash, t.created_at, t.last_used_at
	FROM tokens t JOIN users u ON u.id = t.user_id`

func (r tokenRow) token() *store.Token {
	t := &store.Token{ID: r.ID, UserID: r.UserID, UserName: r.UserName, Label: r.Label, Hash: r.Hash, CreatedAt: msTime(r.CreatedAt)}
	if r.LastUsedAt.Valid {
		t.LastUsedAt = msTime(r.LastUsedAt.Int64)
	}
	return t
}

// InsertToken stores a token.
func (b *Base) InsertToken(ctx context.Context, t *store.Token) error {
	_, err := b.d.Writer.ExecContext(ctx, b.rebind(`INSERT INTO tokens (id, hash, user_id, label, label_key, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
		t.ID, t.Hash, t.UserID, t.Label, store.NameKey(t.Label), ms(t.CreatedAt))
	if b.d.IsUnique(err) {
		return store.Errorf(store.ECONFLICT, "a token labelled %q already exists; labels name one token in the history, choose another", t.Label)
	}
	return b.d.MapErr(err)
}

// GetToken returns a token and its user.
func (b *Base) GetToken(ctx context.Context, hash string) (*store.Token, *store.User, error) {
	var r struct {
		tokenRow
		Role string `db:"role"`
	}
	err := b.d.Reader.GetContext(ctx, &r, b.rebind(`SELECT t.id, t.user_id, u.name AS user_name, t.label, t.hash, t.created_at, t.last_used_at, u.role
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ?`), hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, store.Errorf(store.ENOTFOUND, "there is no such token")
	}
	if err != nil {
		return nil, nil, b.d.MapErr(err)
	}
	return r.token(), &store.User{ID: r.UserID, Name: r.UserName, Role: store.Role(r.Role)}, nil
}

// ListTokens lists the tokens of a user ("" for everyone's), newest first.
func (b *Base) ListTokens(ctx context.Context, userID string) ([]store.Token, error) {
	var rows []tokenRow
	err := b.d.Reader.SelectContext(ctx, &rows, b.rebind(tokenSelect+` WHERE ? = '' OR t.user_id = ? ORDER BY t.created_at DESC, t.id`), userID, userID)
	if err != nil {
		return nil, b.d.MapErr(err)
	}
	out := make([]store.Token, len(rows))
	for i, r := range rows {
		out[i] = *r.token()
	}
	return out, nil
}

// DeleteToken deletes a token of userID ("" for any user) and returns it.
func (b *Base) DeleteToken(ctx context.Context, id, userID string) (*store.Token, error) {
	var t *store.Token
	err := b.inTx(ctx, func(tx *sqlx.Tx) error {
		var r tokenRow
		err := tx.GetContext(ctx, &r, b.rebind(tokenSelect+` WHERE t.id = ? AND (? = '' OR t.user_id = ?)`), id, userID, userID)
		if errors.Is(err, sql.ErrNoRows) {
			return store.Errorf(store.ENOTFOUND, "there is no token %q", id)
		}
		if err != nil {
			return err
		}
		t = r.token()
		_, err = tx.ExecContext(ctx, b.rebind(`DELETE FROM tokens WHERE id = ?`), id)
		return err
	})
	return t, err
}

// TouchToken records a token's last use.
func (b *Base) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := b.d.Writer.ExecContext(ctx, b.rebind(`UPDATE tokens SET last_used_at = ? WHERE id = ?`), ms(at), id)
	return b.d.MapErr(err)
}

// UpdateThrottle reads, steps and writes the throttle rows of keys in one
// write transaction. Without row locks the database's write lock orders
// concurrent ones; with them the rows are created if missing and locked (in
// key order, so that two log-ins never wait for each other in a circle):
// concurrent attempts on one key, on any instance, are counted one after
// the other.
func (b *Base) UpdateThrottle(ctx context.Context, keys []string, step func([]store.Throttle) []store.Throttle) error {
	return b.inTx(ctx, func(tx *sqlx.Tx) error {
		if b.d.RowLocks {
			if err := b.lockThrottle(ctx, tx, keys); err != nil {
				return err
			}
		}
		rows := make([]store.Throttle, len(keys))
		for i, k := range keys {
			var r struct {
				Failures    int   `db:"failures"`
				LastAt      int64 `db:"last_at"`
				LockedUntil int64 `db:"locked_until"`
			}
			err := tx.GetContext(ctx, &r, b.rebind(`SELECT failures, last_at, locked_until FROM login_throttle WHERE key = ?`), k)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				rows[i] = store.Throttle{Key: k}
			case err != nil:
				return err
			default:
				rows[i] = store.Throttle{Key: k, Failures: r.Failures, LastAt: msTime(r.LastAt), LockedUntil: msTime(r.LockedUntil)}
			}
		}
		for _, r := range step(rows) {
			var err error
			switch {
			case r.Failures <= 0:
				_, err = tx.ExecContext(ctx, b.rebind(`DELETE FROM login_throttle WHERE key = ?`), r.Key)
			case b.d.RowLocks:
				// the row exists and is locked: an upsert here makes
				// concurrent log-ins on PostgreSQL deadlock now and then
				_, err = tx.ExecContext(ctx, b.rebind(`UPDATE login_throttle SET failures = ?, last_at = ?, locked_until = ? WHERE key = ?`),
					r.Failures, ms(r.LastAt), ms(r.LockedUntil), r.Key)
			default:
				_, err = tx.ExecContext(ctx, b.rebind(`INSERT INTO login_throttle (key, failures, last_at, locked_until) VALUES (?, ?, ?, ?)
					ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at, locked_until = excluded.locked_until`),
					r.Key, r.Failures, ms(r.LastAt), ms(r.LockedUntil))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// lockThrottle creates the missing throttle rows of keys and locks them all,
// in key order.
func (b *Base) lockThrottle(ctx context.Context, tx *sqlx.Tx, keys []string) error {
	sorted := slices.Sorted(slices.Values(keys))
	for _, k := range sorted {
		if _, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO login_throttle (key, failures, last_at, locked_until) VALUES (?, 0, 0, 0) ON CONFLICT (key) DO NOTHING`), k); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, b.rebind(`SELECT 1 FROM login_throttle WHERE key = ANY(?) ORDER BY key FOR UPDATE`), sorted)
	return err
}
