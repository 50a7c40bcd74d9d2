package store

import (
	"context"
	"errors"
)

// user finds a user by name (whatever its case).
func (s *Store) user(ctx context.Context, name string) (*User, error) {
	if len(name) > 4*MaxNameRunes {
		return nil, Errorf(ENOTFOUND, "there is no user %q", name)
	}
	u, err := s.db.GetUser(ctx, NameKey(name))
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENOTFOUND, "there is no user %q", name)
	}
	return u, err
}

// User returns a user by name (whatever its case).
func (s *Store) User(ctx context.Context, name string) (*User, error) { return s.user(ctx, name) }

// Users lists the users by name.
func (s *Store) Users(ctx context.Context) ([]User, error) { return s.db.ListUsers(ctx) }

// AddUser creates a user with a role and a password (hashed with argon2id).
// A name taken, whatever its case, is ErrConflict. The first user must be
// an admin; it turns accounts on: from then on every request needs a
// session or a token.
func (s *Store) AddUser(ctx context.Context, name string, role Role, password string) (*User, error) {
	if err := checkName("user name", name); err != nil {
		return nil, err
	}
	if role.rank() == 0 {
		return nil, Errorf(EINVALID, "the role must be admin, editor or viewer, not %q", string(role))
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	if role != RoleAdmin {
		n, err := s.db.CountUsers(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, Errorf(EINVALID, "the first user must be an admin (--role admin), so that someone can manage the others")
		}
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now().UTC()
	u := &User{ID: newID(12), Name: name, Role: role, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.db.InsertUser(ctx, u); err != nil {
		return nil, err
	}
	s.acct.usersOn.Store(true)
	return u, nil
}

// SetRole changes a user's role. Demoting the last admin is ErrLastAdmin.
// The user's cached sessions and tokens are dropped in this instance, so the
// new role applies to their next request.
func (s *Store) SetRole(ctx context.Context, name string, role Role) (*User, error) {
	if role.rank() == 0 {
		return nil, Errorf(EINVALID, "the role must be admin, editor or viewer, not %q", string(role))
	}
	u, err := s.user(ctx, name)
	if err != nil {
		return nil, err
	}
	if u.Role == role {
		return u, nil
	}
	u.Role, u.UpdatedAt = role, s.clock.Now().UTC()
	if err := s.db.UpdateUser(ctx, u, false); err != nil {
		return nil, err
	}
	s.acct.creds.dropUser(u.ID)
	return u, nil
}

// ResetPassword sets a user's password and ends their sessions (their
// tokens stay).
func (s *Store) ResetPassword(ctx context.Context, name, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	if u.PasswordHash, err = s.hash(ctx, password); err != nil {
		return err
	}
	u.UpdatedAt = s.clock.Now().UTC()
	if err := s.db.UpdateUser(ctx, u, true); err != nil {
		return err
	}
	s.acct.creds.dropUser(u.ID)
	return nil
}

// RemoveUser deletes a user with their sessions and tokens: they end at once
// in this instance (in others within CredentialTTL). What the user wrote
// keeps their name. Removing the last admin is ErrLastAdmin.
func (s *Store) RemoveUser(ctx context.Context, name string) error {
	u, err := s.user(ctx, name)
	if err != nil {
		return err
	}
	if err := s.db.DeleteUser(ctx, u.ID); err != nil {
		return err
	}
	s.acct.creds.dropUser(u.ID)
	return nil
}
