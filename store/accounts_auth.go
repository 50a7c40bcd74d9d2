package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// accountState is what a store keeps in memory for accounts: the password
// hashing slots, the credentials cache, and whether users exist.
type accountState struct {
	hashing chan struct{}
	creds   *credCache
	// usersOn latches once a user exists: the last admin cannot be
	// removed, so users never go away again.
	usersOn atomic.Bool
	// checkedAt is when the users were last counted while none existed
	// (unix nanoseconds of the store's clock).
	checkedAt atomic.Int64
}

func newAccountState(ttl time.Duration) *accountState {
	return &accountState{
		hashing: make(chan struct{}, max(1, min(4, runtime.GOMAXPROCS(0)))),
		creds:   newCredCache(ttl, 10000),
	}
}

// HasUsers reports whether any user exists: with none, a local server is
// open to everyone (SPEC 12.2). Once true it stays true and costs nothing;
// while false the users are counted at most once a second, so that a user
// added by another instance or by the command line is seen within a second.
func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	if s.acct.usersOn.Load() {
		return true, nil
	}
	now := s.clock.Now().UnixNano()
	if last := s.acct.checkedAt.Load(); last != 0 && now-last >= 0 && now-last < int64(time.Second) {
		return false, nil
	}
	n, err := s.db.CountUsers(ctx)
	if err != nil {
		return false, err
	}
	s.acct.checkedAt.Store(now)
	if n > 0 {
		s.acct.usersOn.Store(true)
	}
	return n > 0, nil
}

// newSecret returns 32 random bytes as URL-safe base64 (43 characters).
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secretHash is how a session's or a token's secret is stored and found:
// sha256, hex. The secrets are 256 random bits, so a fast hash is enough
// (argon2id is for passwords, which people choose).
func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Log-in throttling (SPEC 12.2): every attempt counts as a failure when it
// starts (so that parallel guesses are counted too) and is forgiven when
// the password was right. Past a number of failures each attempt waits,
// twice as long after each further failure, up to a bound; failures are
// forgotten an hour after the last one.
type throttlePolicy struct {
	free int           // failures allowed without waiting
	max  time.Duration // the longest wait
}

const throttleForget = time.Hour

func (p throttlePolicy) delay(failures int) time.Duration {
	if failures < p.free {
		return 0
	}
	shift := failures - p.free
	if shift > 20 {
		return p.max
	}
	return min(time.Second<<shift, p.max)
}

// policyOf is the policy of a key: a name may fail 5 times before it
// waits; an address (an office behind one NAT, say) 20 times.
func policyOf(key string) throttlePolicy {
	if strings.HasPrefix(key, "addr:") {
		return throttlePolicy{free: 20, max: 15 * time.Minute}
	}
	return throttlePolicy{free: 5, max: 5 * time.Minute}
}

// throttleKeys are the keys of a log-in: the name (hashed: it may be
// anything a client sends) and the client's address.
func throttleKeys(name, addr string) []string {
	sum := sha256.Sum256([]byte(NameKey(name)))
	keys := []string{"user:" + hex.EncodeToString(sum[:16])}
	if addr != "" {
		if len(addr) > 64 {
			addr = addr[:64]
		}
		keys = append(keys, "addr:"+addr)
	}
	return keys
}

// tooManyLogIns is the answer while a name or an address must wait.
func tooManyLogIns(wait time.Duration) *Error {
	secs := int((wait + time.Second - 1) / time.Second)
	return &Error{Code: ERATELIMIT, Detail: "too_many_logins",
		Message: "too many failed log-ins; try again in " + strconv.Itoa(secs) + " s",
		Fields:  map[string]any{"retry_after": secs}}
}

// LogIn checks a name and a password and opens a session. A wrong password
// and an unknown name give the same error (ErrBadCredentials) after the same
// work: a password hash is verified either way. Repeated failures for a name
// or from an address (addr, "" when unknown) are slowed down: ERATELIMIT
// with Fields["retry_after"] in seconds, before any password is checked.
// Each attempt counts as a failure until its password is found right, so
// parallel guesses are all counted; hence at most 5 log-ins of one name may
// be under way at once.
func (s *Store) LogIn(ctx context.Context, name, password, addr string) (*NewSession, error) {
	now := s.clock.Now()
	keys := throttleKeys(name, addr)
	var wait time.Duration
	err := s.db.UpdateThrottle(ctx, keys, func(rows []Throttle) []Throttle {
		wait = 0
		for _, r := range rows {
			if r.LockedUntil.After(now) {
				wait = max(wait, r.LockedUntil.Sub(now))
			}
		}
		if wait > 0 {
			return rows
		}
		for i := range rows {
			if now.Sub(rows[i].LastAt) > throttleForget {
				rows[i].Failures = 0
			}
			rows[i].Failures++
			rows[i].LastAt = now
			rows[i].LockedUntil = now.Add(policyOf(rows[i].Key).delay(rows[i].Failures))
		}
		return rows
	})
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, tooManyLogIns(wait)
	}
	encoded := dummyHash(s.opts.Argon2)
	var u *User
	if len(name) <= 4*MaxNameRunes {
		u, err = s.db.GetUser(ctx, NameKey(name))
		switch {
		case errors.Is(err, ErrNotFound):
			u = nil
		case err != nil:
			return nil, err
		default:
			encoded = u.PasswordHash
		}
	}
	ok, err := s.verify(ctx, encoded, password)
	if err != nil && !errors.Is(err, errBadHash) {
		return nil, err
	}
	if !ok || u == nil {
		if errors.Is(err, errBadHash) {
			s.log.Error("a user's stored password hash cannot be read; reset their password", "user", name)
		}
		return nil, ErrBadCredentials
	}
	// the attempt was right: the name's failures are forgiven, and the
	// address gets back the one this attempt counted
	err = s.db.UpdateThrottle(ctx, keys, func(rows []Throttle) []Throttle {
		rows[0].Failures = 0
		for i := 1; i < len(rows); i++ {
			rows[i].Failures = max(0, rows[i].Failures-1)
			rows[i].LockedUntil = rows[i].LastAt.Add(policyOf(rows[i].Key).delay(rows[i].Failures))
		}
		return rows
	})
	if err != nil {
		return nil, err
	}
	secret := newSecret()
	sess := &Session{Hash: secretHash(secret), UserID: u.ID, CreatedAt: now.UTC(), ExpiresAt: now.Add(SessionIdle).UTC()}
	if err := s.db.InsertSession(ctx, sess); err != nil {
		return nil, err
	}
	return &NewSession{Secret: secret, Principal: &Principal{UserID: u.ID, Name: u.Name, Role: u.Role},
		MaxExpiry: now.Add(SessionMaxLife).UTC()}, nil
}

// SessionUser is the principal of a session's secret (a cookie's value).
// An unknown, ended or expired session is ErrNoCredentials. Each use moves
// the session's expiry SessionIdle ahead (written at most once a minute),
// never past SessionMaxLife after the log-in. Answers are cached for the
// credentials cache's TTL; the principal returned must not be modified.
func (s *Store) SessionUser(ctx context.Context, secret string) (*Principal, error) {
	if secret == "" || len(secret) > 128 {
		return nil, ErrNoCredentials
	}
	now := s.clock.Now()
	hash := secretHash(secret)
	key := "s:" + hash
	if e, ok := s.acct.creds.get(key, now); ok {
		if now.Before(e.expires) {
			return e.p, nil
		}
		s.acct.creds.drop(key)
	}
	sess, u, err := s.db.GetSession(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNoCredentials
	}
	if err != nil {
		return nil, err
	}
	if !now.Before(sess.ExpiresAt) {
		if err := s.db.DeleteSession(ctx, hash); err != nil {
			return nil, err
		}
		return nil, ErrNoCredentials
	}
	next := now.Add(SessionIdle)
	if end := sess.CreatedAt.Add(SessionMaxLife); next.After(end) {
		next = end
	}
	if next.Sub(sess.ExpiresAt) > time.Minute {
		if err := s.db.ExtendSession(ctx, hash, next.UTC()); err != nil {
			return nil, err
		}
		sess.ExpiresAt = next
	}
	p := &Principal{UserID: u.ID, Name: u.Name, Role: u.Role}
	s.acct.creds.put(key, credEntry{p: p, fetched: now, expires: sess.ExpiresAt})
	return p, nil
}

// LogOut ends a session at once (in this instance; see CredentialTTL for
// others). An unknown session is not an error.
func (s *Store) LogOut(ctx context.Context, secret string) error {
	if secret == "" || len(secret) > 128 {
		return nil
	}
	hash := secretHash(secret)
	s.acct.creds.drop("s:" + hash)
	return s.db.DeleteSession(ctx, hash)
}

// TokenUser is the principal of an API token (Authorization: Bearer). An
// unknown or revoked token is ErrNoCredentials. The token's last use is
// recorded at most once a minute. Answers are cached for the credentials
// cache's TTL, so that a request with a token costs no database work; the
// principal returned must not be modified.
func (s *Store) TokenUser(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, tokenSecretPrefix) || len(secret) > 128 {
		return nil, ErrNoCredentials
	}
	now := s.clock.Now()
	hash := secretHash(secret)
	key := "t:" + hash
	if e, ok := s.acct.creds.get(key, now); ok {
		return e.p, nil
	}
	t, u, err := s.db.GetToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrNoCredentials
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(t.LastUsedAt) > time.Minute {
		if err := s.db.TouchToken(ctx, t.ID, now.UTC()); err != nil {
			return nil, err
		}
	}
	p := &Principal{UserID: u.ID, Name: u.Name, Role: u.Role, TokenID: t.ID, TokenLabel: t.Label}
	s.acct.creds.put(key, credEntry{p: p, fetched: now})
	return p, nil
}

// CreateToken makes an API token for a user and returns it with its secret,
// which is shown this once (only its hash is stored). The label names the
// token in lists and in the history of what it wrote, so it is unique
// (whatever its case) and is not another user's name.
func (s *Store) CreateToken(ctx context.Context, userName, label string) (*Token, string, error) {
	if err := checkName("token label", label); err != nil {
		return nil, "", err
	}
	u, err := s.user(ctx, userName)
	if err != nil {
		return nil, "", err
	}
	if other, err := s.db.GetUser(ctx, NameKey(label)); err == nil && other.ID != u.ID {
		return nil, "", Errorf(EINVALID, "the label %q is the name of another user; the history would show their name for this token's writes", label)
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, "", err
	}
	secret := tokenSecretPrefix + newSecret()
	t := &Token{ID: newID(10), UserID: u.ID, UserName: u.Name, Label: label, Hash: secretHash(secret), CreatedAt: s.clock.Now().UTC()}
	if err := s.db.InsertToken(ctx, t); err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// Tokens lists a user's tokens (by user id), or every token for "", newest
// first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]Token, error) {
	return s.db.ListTokens(ctx, userID)
}

// RevokeToken deletes a token: it stops working at once in this instance,
// and in other instances when their cached answer expires (CredentialTTL).
// With ownerID set only a token of that user is found; another is
// ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, id, ownerID string) (*Token, error) {
	t, err := s.db.DeleteToken(ctx, id, ownerID)
	if err != nil {
		return nil, err
	}
	s.acct.creds.drop("t:" + t.Hash)
	return t, nil
}

// credCache keeps the answers of recent credential lookups for a short
// time, bounded in size. Revoking, logging out, removing a user or changing
// their role drops the entries concerned in this instance.
type credCache struct {
	mu  sync.RWMutex
	ttl time.Duration
	max int
	m   map[string]credEntry
}

type credEntry struct {
	p       *Principal
	fetched time.Time
	expires time.Time // a session's expiry (zero for a token)
}

func newCredCache(ttl time.Duration, max int) *credCache {
	return &credCache{ttl: ttl, max: max, m: map[string]credEntry{}}
}

func (c *credCache) get(key string, now time.Time) (credEntry, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || now.Sub(e.fetched) >= c.ttl || now.Before(e.fetched) {
		return credEntry{}, false
	}
	return e, true
}

func (c *credCache) put(key string, e credEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, old := range c.m {
			if e.fetched.Sub(old.fetched) >= c.ttl {
				delete(c.m, k)
			}
		}
		for k := range c.m { // still full: evict an arbitrary entry
			if len(c.m) < c.max {
				break
			}
			delete(c.m, k)
		}
	}
	c.m[key] = e
}

func (c *credCache) drop(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// dropUser drops every entry of a user (removed, demoted, new password).
func (c *credCache) dropUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.p.UserID == userID {
			delete(c.m, k)
		}
	}
}
