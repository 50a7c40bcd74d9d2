package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// The contract of accounts (SPEC 12.2): users, log-in, sessions, tokens,
// throttling and the audit trail's actors.

// accountsStore opens a store without a scheduler on database name with a
// manual clock.
func accountsStore(t testing.TB, open Opener, name string, clock engine.Clock) *store.Store {
	t.Helper()
	s := store.New(open(t, name), store.Options{Clock: clock, NoScheduler: true})
	t.Cleanup(func() { s.Close() })
	return s
}

func mustUser(t testing.TB, s *store.Store, name string, role store.Role, pw string) *store.User {
	t.Helper()
	u, err := s.AddUser(context.Background(), name, role, pw)
	if err != nil {
		t.Fatalf("add user %q: %v", name, err)
	}
	return u
}

func mustLogIn(t testing.TB, s *store.Store, name, pw string) *store.NewSession {
	t.Helper()
	ns, err := s.LogIn(context.Background(), name, pw, "192.0.2.1")
	if err != nil {
		t.Fatalf("log in as %q: %v", name, err)
	}
	return ns
}

func wantCode(t testing.TB, what string, err error, want store.Code) {
	t.Helper()
	if got := store.ErrorCode(err); got != want {
		t.Fatalf("%s: got %v (code %q), want code %q", what, err, got, want)
	}
}

// testUsers: names and passwords with odd characters are taken or refused
// with a message, and a refused one changes nothing.
func testUsers(t *testing.T, open Opener) {
	ctx := context.Background()
	s := accountsStore(t, open, "db", engine.NewManualClock(t0))
	if on, err := s.HasUsers(ctx); err != nil || on {
		t.Fatalf("a new database has users: %v %v", on, err)
	}
	_, err := s.AddUser(ctx, "first", store.RoleEditor, "password1")
	wantCode(t, "the first user as an editor", err, store.EINVALID)
	mustUser(t, s, "Ada Lovelace", store.RoleAdmin, "correct horse battery staple")
	if on, err := s.HasUsers(ctx); err != nil || !on {
		t.Fatalf("after the first user: %v %v", on, err)
	}
	tests := []struct {
		name     string
		user     string
		password string
		want     store.Code // "" for accepted
	}{
		{"unicode name and password", "Zoë Ångström", "pässwörd ✓ 密码", ""},
		{"spaces inside a name", "grace b hopper", "        a       ", ""},
		{"64 characters", strings.Repeat("é", 64), "12345678", ""},
		{"65 characters", strings.Repeat("é", 65), "12345678", store.EINVALID},
		{"emoji", "🦊 fox", "🦊🦊🦊🦊🦊🦊🦊🦊", ""},
		{"a name taken in another case", "ADA LOVELACE", "12345678", store.ECONFLICT},
		{"empty name", "", "12345678", store.EINVALID},
		{"leading space", " bob", "12345678", store.EINVALID},
		{"trailing space", "bob ", "12345678", store.EINVALID},
		{"a control character", "bob\x07", "12345678", store.EINVALID},
		{"a newline", "bob\nalice", "12345678", store.EINVALID},
		{"a zero-width space", "bo\u200bb", "12345678", store.EINVALID},
		{"a right-to-left override", "bob\u202e", "12345678", store.EINVALID},
		{"not UTF-8", "bob\xff", "12345678", store.EINVALID},
		{"the audit trail's anonymous", "Anonymous", "12345678", store.EINVALID},
		{"the audit trail's scheduler", "scheduler", "12345678", store.EINVALID},
		{"a short password", "carol", "1234567", store.EINVALID},
		{"a 1024-byte password", "dave", strings.Repeat("x", 1024), ""},
		{"a 1025-byte password", "erin", strings.Repeat("x", 1025), store.EINVALID},
		{"a password that is not UTF-8", "frank", "12345678\xff", store.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, err := s.Users(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.AddUser(ctx, tc.user, store.RoleViewer, tc.password)
			wantCode(t, "add "+tc.user, err, tc.want)
			after, _ := s.Users(ctx)
			if tc.want != "" {
				if len(after) != len(before) {
					t.Fatalf("a refused user changed the users: %d, then %d", len(before), len(after))
				}
				if store.ErrorMessage(err) == "internal error" {
					t.Fatalf("no message for people: %v", err)
				}
				return
			}
			if len(after) != len(before)+1 {
				t.Fatalf("users %d, then %d", len(before), len(after))
			}
			if _, err := s.LogIn(ctx, strings.ToUpper(tc.user), tc.password, ""); err != nil {
				t.Fatalf("log in (name in another case): %v", err)
			}
		})
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(users); i++ {
		if store.NameKey(users[i-1].Name) > store.NameKey(users[i].Name) {
			t.Fatalf("users not by name: %q before %q", users[i-1].Name, users[i].Name)
		}
	}
	for _, u := range users {
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Fatalf("user %q: hash %q is not argon2id with OWASP's parameters", u.Name, u.PasswordHash)
		}
	}
	if _, err := store.ParseRole("owner"); store.ErrorCode(err) != store.EINVALID {
		t.Fatalf("ParseRole(owner): %v", err)
	}
	if r, err := store.ParseRole(" Editor "); err != nil || r != store.RoleEditor {
		t.Fatalf("ParseRole(Editor): %v %v", r, err)
	}
}

// testLogIn: a wrong password and an unknown name are the same error; a
// session works until it is logged out.
func testLogIn(t *testing.T, open Opener) {
	ctx := context.Background()
	s := accountsStore(t, open, "db", engine.NewManualClock(t0))
	mustUser(t, s, "ada", store.RoleAdmin, "right password")
	_, wrong := s.LogIn(ctx, "ada", "wrong password", "")
	_, unknown := s.LogIn(ctx, "nobody", "right password", "")
	_, empty := s.LogIn(ctx, "", "", "")
	_, huge := s.LogIn(ctx, strings.Repeat("a", 1<<16), "right password", "")
	for _, err := range []error{wrong, unknown, empty, huge} {
		if !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("got %v, want ErrBadCredentials", err)
		}
	}
	if store.ErrorMessage(wrong) != store.ErrorMessage(unknown) {
		t.Fatalf("a wrong password says %q, an unknown user %q: they must not differ", store.ErrorMessage(wrong), store.ErrorMessage(unknown))
	}
	ns := mustLogIn(t, s, "ADA", "right password")
	if len(ns.Secret) < 40 || ns.Principal.Name != "ada" || ns.Principal.Role != store.RoleAdmin || ns.Principal.Actor() != "ada" {
		t.Fatalf("session %+v %+v", ns, ns.Principal)
	}
	if !ns.MaxExpiry.Equal(t0.Add(store.SessionMaxLife)) {
		t.Fatalf("max expiry %v", ns.MaxExpiry)
	}
	p, err := s.SessionUser(ctx, ns.Secret)
	if err != nil || p.Name != "ada" {
		t.Fatalf("session user: %+v %v", p, err)
	}
	for _, bad := range []string{"", "x", ns.Secret + "x", strings.Repeat("a", 4096)} {
		if _, err := s.SessionUser(ctx, bad); !errors.Is(err, store.ErrNoCredentials) {
			t.Fatalf("session %q: %v", bad, err)
		}
	}
	if err := s.LogOut(ctx, ns.Secret); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, ns.Secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("after log-out: %v", err)
	}
	if err := s.LogOut(ctx, ns.Secret); err != nil {
		t.Fatalf("a second log-out: %v", err)
	}
}

// testSessionExpiry: a session ends after 12 h unused, slides with use, and
// ends 7 days after the log-in whatever its use; another instance agrees.
func testSessionExpiry(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := accountsStore(t, open, "db", clock)
	mustUser(t, s, "ada", store.RoleAdmin, "right password")

	idle := mustLogIn(t, s, "ada", "right password")
	clock.Advance(store.SessionIdle + time.Second)
	if _, err := s.SessionUser(ctx, idle.Secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("after 12 h unused: %v", err)
	}

	used := mustLogIn(t, s, "ada", "right password")
	other := accountsStore(t, open, "db", clock)
	start := clock.Now()
	for clock.Now().Sub(start) < store.SessionMaxLife-store.SessionIdle {
		clock.Advance(store.SessionIdle - time.Hour)
		if _, err := s.SessionUser(ctx, used.Secret); err != nil {
			t.Fatalf("used every 11 h, at %v: %v", clock.Now().Sub(start), err)
		}
		if _, err := other.SessionUser(ctx, used.Secret); err != nil {
			t.Fatalf("another instance, at %v: %v", clock.Now().Sub(start), err)
		}
	}
	clock.Set(start.Add(store.SessionMaxLife + time.Second))
	if _, err := s.SessionUser(ctx, used.Secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("7 days after the log-in: %v", err)
	}
	if _, err := other.SessionUser(ctx, used.Secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("7 days after the log-in, another instance: %v", err)
	}
}

// testLastAdmin: the last admin can be neither removed nor demoted, and a
// refused change changes nothing.
func testLastAdmin(t *testing.T, open Opener) {
	ctx := context.Background()
	s := accountsStore(t, open, "db", engine.NewManualClock(t0))
	mustUser(t, s, "ada", store.RoleAdmin, "right password")
	mustUser(t, s, "bob", store.RoleEditor, "right password")
	if err := s.RemoveUser(ctx, "ada"); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("remove the last admin: %v", err)
	}
	if _, err := s.SetRole(ctx, "Ada", store.RoleViewer); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("demote the last admin: %v", err)
	}
	if u, err := s.User(ctx, "ada"); err != nil || u.Role != store.RoleAdmin {
		t.Fatalf("after refused changes: %+v %v", u, err)
	}
	if _, err := s.SetRole(ctx, "bob", store.Role("owner")); store.ErrorCode(err) != store.EINVALID {
		t.Fatalf("an unknown role: %v", err)
	}
	if err := s.RemoveUser(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("remove nobody: %v", err)
	}
	if _, err := s.SetRole(ctx, "bob", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetRole(ctx, "ada", store.RoleEditor); err != nil {
		t.Fatalf("demote one of two admins: %v", err)
	}
	if err := s.RemoveUser(ctx, "bob"); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("bob is now the last admin: %v", err)
	}
	// two admins demoted at once: one of them stays admin
	if _, err := s.SetRole(ctx, "ada", store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, name := range []string{"ada", "bob"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.SetRole(ctx, name, store.RoleViewer)
		}()
	}
	wg.Wait()
	admins := 0
	users, _ := s.Users(ctx)
	for _, u := range users {
		if u.Role == store.RoleAdmin {
			admins++
		}
	}
	if admins != 1 || (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("two demotions at once: errors %v, %d admins left; want one refused and one admin", errs, admins)
	}
}

// testRemovedUser: a removed user's sessions and tokens end at once in this
// instance and within CredentialTTL in another; a demoted user's next
// request has the new role.
func testRemovedUser(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := accountsStore(t, open, "db", clock)
	other := accountsStore(t, open, "db", clock)
	mustUser(t, s, "ada", store.RoleAdmin, "right password")
	mustUser(t, s, "bob", store.RoleEditor, "right password")
	sess := mustLogIn(t, s, "bob", "right password")
	_, tok, err := s.CreateToken(ctx, "bob", "bob's ci")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*store.Store{s, other} { // both cache the answers
		if p, err := st.SessionUser(ctx, sess.Secret); err != nil || p.Role != store.RoleEditor {
			t.Fatalf("session: %+v %v", p, err)
		}
		if p, err := st.TokenUser(ctx, tok); err != nil || p.Role != store.RoleEditor {
			t.Fatalf("token: %+v %v", p, err)
		}
	}
	if _, err := s.SetRole(ctx, "bob", store.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if p, err := s.SessionUser(ctx, sess.Secret); err != nil || p.Role != store.RoleViewer {
		t.Fatalf("after demotion: %+v %v", p, err)
	}
	if err := s.RemoveUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, sess.Secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("session of a removed user: %v", err)
	}
	if _, err := s.TokenUser(ctx, tok); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("token of a removed user: %v", err)
	}
	clock.Advance(5 * time.Second) // the default CredentialTTL
	if _, err := other.SessionUser(ctx, sess.Secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("another instance, after the TTL: %v", err)
	}
	if _, err := other.TokenUser(ctx, tok); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("another instance, token after the TTL: %v", err)
	}
	if toks, _ := s.Tokens(ctx, ""); len(toks) != 0 {
		t.Fatalf("a removed user's tokens are left: %+v", toks)
	}
}

// testResetPassword: a new password works, the old one does not, and the
// user's sessions end.
func testResetPassword(t *testing.T, open Opener) {
	ctx := context.Background()
	s := accountsStore(t, open, "db", engine.NewManualClock(t0))
	mustUser(t, s, "ada", store.RoleAdmin, "old password")
	sess := mustLogIn(t, s, "ada", "old password")
	if err := s.ResetPassword(ctx, "ada", "short"); store.ErrorCode(err) != store.EINVALID {
		t.Fatalf("a short new password: %v", err)
	}
	if _, err := s.SessionUser(ctx, sess.Secret); err != nil {
		t.Fatalf("a refused reset ended the session: %v", err)
	}
	if err := s.ResetPassword(ctx, "ada", "new password ✓"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionUser(ctx, sess.Secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("the session after a reset: %v", err)
	}
	if _, err := s.LogIn(ctx, "ada", "old password", ""); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatalf("the old password: %v", err)
	}
	mustLogIn(t, s, "ada", "new password ✓")
}

// testTokens: a token is shown once, stored hashed, listed with its label,
// creation and last use, and stops working when revoked: at once here,
// within CredentialTTL on another instance.
func testTokens(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := accountsStore(t, open, "db", clock)
	other := accountsStore(t, open, "db", clock)
	ada := mustUser(t, s, "ada", store.RoleAdmin, "right password")
	bob := mustUser(t, s, "bob", store.RoleViewer, "right password")
	tok, secret, err := s.CreateToken(ctx, "ada", "deploy bot")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "stator_") || len(secret) < 40 || strings.Contains(tok.Hash, secret) || tok.Hash == secret {
		t.Fatalf("token %q, hash %q", secret, tok.Hash)
	}
	refused := []struct {
		name, user, label string
		want              store.Code
	}{
		{"a label taken", "bob", "deploy bot", store.ECONFLICT},
		{"a label taken in another case", "bob", "Deploy Bot", store.ECONFLICT},
		{"another user's name", "bob", "Ada", store.EINVALID},
		{"an empty label", "bob", "", store.EINVALID},
		{"a control character", "bob", "ci\x00", store.EINVALID},
		{"the scheduler", "bob", "scheduler", store.EINVALID},
		{"no such user", "nobody", "ci", store.ENOTFOUND},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.CreateToken(ctx, tc.user, tc.label)
			wantCode(t, tc.name, err, tc.want)
		})
	}
	if _, _, err := s.CreateToken(ctx, "bob", "bob"); err != nil {
		t.Fatalf("a token labelled with its own user's name: %v", err)
	}
	p, err := s.TokenUser(ctx, secret)
	if err != nil || p.Name != "ada" || p.Role != store.RoleAdmin || p.Actor() != "deploy bot" || p.TokenID != tok.ID {
		t.Fatalf("token user: %+v %v", p, err)
	}
	for _, bad := range []string{"", "stator_", secret + "x", "Bearer " + secret, strings.TrimPrefix(secret, "stator_")} {
		if _, err := s.TokenUser(ctx, bad); !errors.Is(err, store.ErrNoCredentials) {
			t.Fatalf("token %q: %v", bad, err)
		}
	}
	all, err := s.Tokens(ctx, "")
	if err != nil || len(all) != 2 {
		t.Fatalf("tokens: %+v %v", all, err)
	}
	mine, err := s.Tokens(ctx, ada.ID)
	if err != nil || len(mine) != 1 || mine[0].Label != "deploy bot" || mine[0].UserName != "ada" ||
		!mine[0].CreatedAt.Equal(t0) || !mine[0].LastUsedAt.Equal(t0) {
		t.Fatalf("ada's tokens: %+v %v", mine, err)
	}
	// the last use is written at most once a minute
	clock.Advance(30 * time.Second)
	if _, err := other.TokenUser(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if mine, _ = s.Tokens(ctx, ada.ID); !mine[0].LastUsedAt.Equal(t0) {
		t.Fatalf("last used after 30 s: %v, want %v", mine[0].LastUsedAt, t0)
	}
	clock.Advance(time.Minute)
	if _, err := other.TokenUser(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if mine, _ = s.Tokens(ctx, ada.ID); !mine[0].LastUsedAt.Equal(clock.Now()) {
		t.Fatalf("last used after 90 s: %v, want %v", mine[0].LastUsedAt, clock.Now())
	}

	if _, err := s.RevokeToken(ctx, tok.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob revokes ada's token: %v", err)
	}
	if _, err := s.TokenUser(ctx, secret); err != nil {
		t.Fatalf("after a refused revoke: %v", err)
	}
	if _, err := s.RevokeToken(ctx, tok.ID, ada.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenUser(ctx, secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("revoked, this instance: %v", err)
	}
	if _, err := other.TokenUser(ctx, secret); err != nil {
		t.Fatalf("revoked, another instance within the TTL (cached): %v", err)
	}
	clock.Advance(5 * time.Second)
	if _, err := other.TokenUser(ctx, secret); !errors.Is(err, store.ErrNoCredentials) {
		t.Fatalf("revoked, another instance after the TTL: %v", err)
	}
	if _, err := s.RevokeToken(ctx, tok.ID, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
}

// testLogInThrottle: failed log-ins are slowed down per name and per
// address (ERATELIMIT with retry_after), before any password is checked,
// and a right password forgives the name.
func testLogInThrottle(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := accountsStore(t, open, "db", clock)
	mustUser(t, s, "ada", store.RoleAdmin, "right password")
	mustUser(t, s, "bob", store.RoleViewer, "right password")
	for i := 1; i <= 5; i++ {
		if _, err := s.LogIn(ctx, "ada", "wrong password", "192.0.2.7"); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	retry := func(err error) int {
		t.Helper()
		var se *store.Error
		if !errors.As(err, &se) || se.Code != store.ERATELIMIT {
			t.Fatalf("got %v, want ERATELIMIT", err)
		}
		n, _ := se.Fields["retry_after"].(int)
		return n
	}
	// even the right password waits, from any address
	if n := retry(func() error { _, err := s.LogIn(ctx, "ADA", "right password", "198.51.100.1"); return err }()); n != 1 {
		t.Fatalf("retry after %d s, want 1", n)
	}
	// other names are not slowed down
	mustLogIn(t, s, "bob", "right password")
	clock.Advance(time.Second)
	if _, err := s.LogIn(ctx, "ada", "wrong password", "192.0.2.7"); !errors.Is(err, store.ErrBadCredentials) {
		t.Fatalf("after waiting: %v", err)
	}
	if n := retry(func() error { _, err := s.LogIn(ctx, "ada", "wrong password", ""); return err }()); n != 2 {
		t.Fatalf("the wait doubles: %d s, want 2", n)
	}
	clock.Advance(2 * time.Second)
	mustLogIn(t, s, "ada", "right password")
	for i := 1; i <= 4; i++ { // forgiven: five more free failures
		if _, err := s.LogIn(ctx, "ada", "wrong password", ""); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("after a right password, failure %d: %v", i, err)
		}
	}
	// an address trying many names
	for i := 0; i < 20; i++ {
		_, err := s.LogIn(ctx, "guess"+strings.Repeat("x", i), "password", "203.0.113.9")
		if !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("address failure %d: %v", i+1, err)
		}
	}
	retry(func() error { _, err := s.LogIn(ctx, "bob", "right password", "203.0.113.9"); return err }())
	mustLogIn(t, s, "bob", "right password") // from elsewhere
	// failures are forgotten an hour after the last one
	clock.Advance(time.Hour + time.Minute)
	for i := 0; i < 5; i++ {
		if _, err := s.LogIn(ctx, "guess", "password", "203.0.113.9"); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("an hour later, failure %d: %v", i+1, err)
		}
	}
}

// testConcurrentLogIns: parallel log-ins each get their own session, and
// parallel wrong guesses are all counted (no guess slips past the limit).
func testConcurrentLogIns(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := accountsStore(t, open, "db", clock)
	other := accountsStore(t, open, "db", clock)
	mustUser(t, s, "ada", store.RoleAdmin, "right password")
	mustUser(t, s, "bob", store.RoleViewer, "right password")
	// every attempt counts as a failure until its password is found right,
	// so that parallel guesses are counted: up to 5 log-ins of one name may
	// be under way at once
	const n = 8
	var wg sync.WaitGroup
	secrets := make([]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := []*store.Store{s, other}[i%2]
			ns, err := st.LogIn(ctx, []string{"ada", "bob"}[i/4], "right password", "192.0.2.1")
			errs[i] = err
			if err == nil {
				secrets[i] = ns.Secret
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range secrets {
		if errs[i] != nil {
			t.Fatalf("log-in %d: %v", i, errs[i])
		}
		if seen[secrets[i]] {
			t.Fatal("two log-ins got the same session")
		}
		seen[secrets[i]] = true
		if _, err := s.SessionUser(ctx, secrets[i]); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	// 10 wrong guesses at once on two instances: 5 are checked, the rest wait
	const guesses = 10
	results := make([]error, guesses)
	for i := 0; i < guesses; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = []*store.Store{s, other}[i%2].LogIn(ctx, "ada", "wrong password", "")
		}()
	}
	wg.Wait()
	checked, limited := 0, 0
	for _, err := range results {
		switch store.ErrorCode(err) {
		case store.EUNAUTHORIZED:
			checked++
		case store.ERATELIMIT:
			limited++
		default:
			t.Fatalf("a guess: %v", err)
		}
	}
	if checked != 5 || limited != 5 {
		t.Fatalf("parallel guesses: %d checked, %d slowed down; want 5 and 5", checked, limited)
	}
}

// testActors: writes made under a principal record its actor (a user's
// name, a token's label); without one, "anonymous"; a name given wins.
func testActors(t *testing.T, open Opener) {
	ctx := context.Background()
	s := accountsStore(t, open, "db", engine.NewManualClock(t0))
	mustUser(t, s, "ada", store.RoleAdmin, "right password")
	_, secret, err := s.CreateToken(ctx, "ada", "ci")
	if err != nil {
		t.Fatal(err)
	}
	tokenP, err := s.TokenUser(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	adaCtx := store.NewContext(ctx, &store.Principal{Name: "ada", Role: store.RoleAdmin})
	ciCtx := store.NewContext(ctx, tokenP)

	m, err := s.CreateMachineAs(adaCtx, orderYAML, "")
	if err != nil {
		t.Fatal(err)
	}
	edited := orderYAML + "\n  - {trigger: amend, source: open, dest: open}\n"
	if _, err := s.SaveMachine(ciCtx, m.ID, edited, store.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveMachine(ctx, m.ID, orderYAML, store.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveMachine(adaCtx, m.ID, edited, store.SaveOptions{Author: "named"}); err != nil {
		t.Fatal(err)
	}
	revs, err := s.Revisions(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var authors []string
	for _, r := range revs {
		authors = append(authors, r.Author)
	}
	if got, want := strings.Join(authors, ","), "named,anonymous,ci,ada"; got != want {
		t.Fatalf("revision authors (newest first) %s, want %s", got, want)
	}
	e := mustEntity(t, s, store.NewEntity{ID: "o-1", MachineID: m.ID})
	if _, err := s.SendEvent(ciCtx, e.ID, store.Event{Trigger: "exchange_ack"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendEvent(adaCtx, e.ID, store.Event{Trigger: "cancel"}); err != nil {
		t.Fatal(err)
	}
	e2, err := s.CreateEntity(adaCtx, store.NewEntity{ID: "o-2", MachineID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, h := range append(history(t, s, e.ID), history(t, s, e2.ID)...) {
		actors = append(actors, h.Actor)
	}
	if got, want := strings.Join(actors, ","), "anonymous,ci,ada,ada"; got != want {
		t.Fatalf("history actors %s, want %s", got, want)
	}
}

// testHasUsers: a user added by another instance (or the command line)
// turns accounts on here within a second.
func testHasUsers(t *testing.T, open Opener) {
	ctx := context.Background()
	clock := engine.NewManualClock(t0)
	s := accountsStore(t, open, "db", clock)
	other := accountsStore(t, open, "db", clock)
	if on, err := s.HasUsers(ctx); err != nil || on {
		t.Fatalf("no users yet: %v %v", on, err)
	}
	mustUser(t, other, "ada", store.RoleAdmin, "right password")
	if on, _ := other.HasUsers(ctx); !on {
		t.Fatal("the instance that added a user")
	}
	clock.Advance(time.Second)
	if on, err := s.HasUsers(ctx); err != nil || !on {
		t.Fatalf("another instance a second later: %v %v", on, err)
	}
}
