package store

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is what a user may do (SPEC 12.2). Each role may do everything the
// roles below it may.
type Role string

// The roles, from the smallest.
const (
	// RoleViewer reads everything, simulates and shares.
	RoleViewer Role = "viewer"
	// RoleEditor also creates, edits, forks and deletes machines, creates
	// entities, sends events and migrates them.
	RoleEditor Role = "editor"
	// RoleAdmin also manages users and tokens.
	RoleAdmin Role = "admin"
)

// Roles lists the roles from the smallest.
func Roles() []Role { return []Role{RoleViewer, RoleEditor, RoleAdmin} }

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleEditor:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Allows reports whether r may do what needs the role min.
func (r Role) Allows(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// ParseRole reads a role name (admin, editor or viewer).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.rank() == 0 {
		return "", Errorf(EINVALID, "the role must be admin, editor or viewer, not %q", s)
	}
	return r, nil
}

// User is an account.
type User struct {
	ID   string
	Name string
	Role Role
	// PasswordHash is the argon2id hash with its parameters and salt.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Token is an API token of a user. Its secret is shown once, when it is
// created; only its sha256 is stored.
type Token struct {
	ID         string
	UserID     string
	UserName   string
	Label      string
	Hash       string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first used; updated at most once a minute
}

// Session is a log-in session. Its secret (the cookie's value) is known
// only to the browser; the database keeps its sha256.
type Session struct {
	Hash      string
	UserID    string
	CreatedAt time.Time
	// ExpiresAt slides with use (SessionIdle after the last use) but never
	// past CreatedAt + SessionMaxLife.
	ExpiresAt time.Time
}

// NewSession is what a log-in gives: the secret for the cookie, once.
type NewSession struct {
	Secret    string
	Principal *Principal
	// MaxExpiry is when the session ends at the latest (for the cookie).
	MaxExpiry time.Time
}

// Principal is who makes a request: a user signed in with a session or
// with one of their tokens.
type Principal struct {
	UserID string
	Name   string
	Role   Role
	// TokenID and TokenLabel are set when the request carries a token.
	TokenID    string
	TokenLabel string
}

// Actor is what the audit trail records for the principal: the user's name,
// or the token's label for a request made with a token.
func (p *Principal) Actor() string {
	if p.TokenLabel != "" {
		return p.TokenLabel
	}
	return p.Name
}

// Session lifetimes (SPEC 12.2): a session ends after SessionIdle without
// use, and SessionMaxLife after the log-in whatever its use.
const (
	SessionIdle    = 12 * time.Hour
	SessionMaxLife = 7 * 24 * time.Hour
)

// Limits of user names, token labels and passwords.
const (
	MaxNameRunes     = 64
	MinPasswordRunes = 8
	MaxPasswordBytes = 1024
)

// AnonymousActor is the actor of writes made with no principal (before
// accounts exist).
const AnonymousActor = "anonymous"

// tokenSecretPrefix starts every token, so that secret scanners and people
// recognise one (and a cookie or a password is never looked up as a token).
const tokenSecretPrefix = "stator_"

// Errors of accounts.
var (
	// ErrBadCredentials is the one answer to a wrong name or a wrong
	// password: which of the two was wrong is not told.
	ErrBadCredentials = &Error{Code: EUNAUTHORIZED, Detail: "bad_credentials", Message: "wrong name or password"}
	// ErrNoCredentials is an expired, ended or unknown session or token.
	ErrNoCredentials = &Error{Code: EUNAUTHORIZED, Detail: "invalid_credentials",
		Message: "the session has ended or the token is not valid (expired, revoked or mistyped); log in again or use another token"}
	// ErrLastAdmin refuses to remove or demote the last admin.
	ErrLastAdmin = &Error{Code: ECONFLICT, Detail: "last_admin",
		Message: "this is the last admin: make another user admin first, so that someone can still manage accounts"}
)

// principalKey is the context key of the request's principal.
type principalKey struct{}

// NewContext returns ctx carrying the principal of a request: the store
// records its Actor as the author of revisions and the actor of events
// written under ctx when the call does not name one.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries, or nil (no accounts, or
// a call outside any request).
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// actorOf is who a write is recorded for: the one named, else the
// principal of ctx, else "anonymous".
func actorOf(ctx context.Context, named string) string {
	if named != "" {
		return named
	}
	if p := PrincipalFrom(ctx); p != nil {
		return p.Actor()
	}
	return AnonymousActor
}

// NameKey is how user names and token labels are compared and found:
// case does not matter.
func NameKey(s string) string { return strings.ToLower(s) }

// checkName checks a user's name or a token's label (what is "a user" or
// "a token label"): valid UTF-8, 1 to MaxNameRunes characters, no space at
// either end, no control or invisible characters (they could make two
// names look alike in the audit trail), and not an actor name the audit
// trail uses itself.
func checkName(what, s string) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "the %s must be UTF-8 text", what)
	}
	if s == "" {
		return Errorf(EINVALID, "the %s is empty", what)
	}
	if strings.TrimSpace(s) != s {
		return Errorf(EINVALID, "the %s %q begins or ends with a space", what, s)
	}
	n := 0
	for i, r := range s {
		n++
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return Errorf(EINVALID, "the %s has an invisible or control character (U+%04X at byte %d)", what, r, i)
		}
	}
	if n > MaxNameRunes {
		return Errorf(EINVALID, "the %s is %d characters long; the limit is %d", what, n, MaxNameRunes)
	}
	switch NameKey(s) {
	case AnonymousActor, SchedulerActor:
		return Errorf(EINVALID, "%q is what the history records for writes by no user; choose another %s", s, what)
	}
	return nil
}

// checkPassword checks a new password: MinPasswordRunes characters at least
// and MaxPasswordBytes at most; any character may be in it.
func checkPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return Errorf(EINVALID, "the password must be UTF-8 text")
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordRunes {
		return Errorf(EINVALID, "the password has %d characters; it needs at least %d", n, MinPasswordRunes)
	}
	if len(pw) > MaxPasswordBytes {
		return Errorf(EINVALID, "the password is %s bytes long; the limit is %d", strconv.Itoa(len(pw)), MaxPasswordBytes)
	}
	return nil
}

// AccountBackend is the SQL of accounts, a part of every Backend. Each
// method is one transaction. Names and labels are found by their key
// (lower case).
type AccountBackend interface {
	// CountUsers counts the users.
	CountUsers(ctx context.Context) (int, error)
	// InsertUser stores a new user; a name taken (whatever its case) is
	// ErrConflict.
	InsertUser(ctx context.Context, u *User) error
	// GetUser finds a user by the key of their name.
	GetUser(ctx context.Context, nameKey string) (*User, error)
	// ListUsers lists the users by name.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser writes a user's role, password hash and updated time.
	// Leaving no admin is ErrLastAdmin and writes nothing; with
	// endSessions the user's sessions are deleted in the same transaction.
	UpdateUser(ctx context.Context, u *User, endSessions bool) error
	// DeleteUser deletes a user with their sessions and tokens. Deleting
	// the last admin is ErrLastAdmin and deletes nothing.
	DeleteUser(ctx context.Context, id string) error

	// InsertSession stores a session and deletes the sessions that expired
	// before its creation.
	InsertSession(ctx context.Context, s *Session) error
	// GetSession returns a session and its user.
	GetSession(ctx context.Context, hash string) (*Session, *User, error)
	// ExtendSession moves a session's expiry.
	ExtendSession(ctx context.Context, hash string, expires time.Time) error
	// DeleteSession deletes a session (a missing one is not an error).
	DeleteSession(ctx context.Context, hash string) error

	// InsertToken stores a token; a label taken (whatever its case) is
	// ErrConflict.
	InsertToken(ctx context.Context, t *Token) error
	// GetToken returns a token (UserName set) and its user.
	GetToken(ctx context.Context, hash string) (*Token, *User, error)
	// ListTokens lists the tokens of a user, or every token for "", newest
	// first, with UserName set.
	ListTokens(ctx context.Context, userID string) ([]Token, error)
	// DeleteToken deletes a token, if it belongs to userID ("" for any
	// user), and returns it; else ErrNotFound.
	DeleteToken(ctx context.Context, id, userID string) (*Token, error)
	// TouchToken records a token's last use.
	TouchToken(ctx context.Context, id string, at time.Time) error

	// UpdateThrottle reads the throttle rows of keys (a missing one is the
	// zero Throttle with its Key set), hands them to step in the order of
	// keys, and writes back what step returns (a row with no failures is
	// deleted), all in one transaction that other calls on the same keys
	// wait for.
	UpdateThrottle(ctx context.Context, keys []string, step func(rows []Throttle) []Throttle) error
}

// Throttle is the failed log-ins of one key: a user's name or a client
// address.
type Throttle struct {
	Key         string
	Failures    int
	LastAt      time.Time
	LockedUntil time.Time
}
