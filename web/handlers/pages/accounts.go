package pages

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/templates"
)

// SessionCookie is the name of the log-in session's cookie.
const SessionCookie = "stator_session"

// AccountStore is what the account pages need of the store.
type AccountStore interface {
	HasUsers(ctx context.Context) (bool, error)
	LogIn(ctx context.Context, name, password, addr string) (*store.NewSession, error)
	LogOut(ctx context.Context, secret string) error
	Users(ctx context.Context) ([]store.User, error)
	AddUser(ctx context.Context, name string, role store.Role, password string) (*store.User, error)
	SetRole(ctx context.Context, name string, role store.Role) (*store.User, error)
	ResetPassword(ctx context.Context, name, password string) error
	RemoveUser(ctx context.Context, name string) error
	CreateToken(ctx context.Context, userName, label string) (*store.Token, string, error)
	Tokens(ctx context.Context, userID string) ([]store.Token, error)
	RevokeToken(ctx context.Context, id, ownerID string) (*store.Token, error)
}

// Accounts serves the log-in page, log-out, the users page (admins) and
// the "your tokens" page. Who may call which is decided by the server's
// access table; these handlers act for the principal of the request.
type Accounts struct {
	Store AccountStore
	Clock engine.Clock
	// SecureCookie says whether the session cookie is for https only.
	SecureCookie func(c echo.Context) bool
}

// LocalPath returns next when it is a path of this server ("/machines/x?y"),
// else "/": the log-in page sends people back only within the server (no
// open redirect to another site through a crafted link).
func LocalPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	if u.Path == "/login" || u.Path == "/logout" {
		return "/"
	}
	return next
}

// ClearSessionCookie is the cookie that makes a browser forget its session.
func ClearSessionCookie(secure bool) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode}
}

// LoginPage answers GET /login.
func (h *Accounts) LoginPage(c echo.Context) error {
	on, err := h.Store.HasUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.LoginPage(templates.LoginView{Next: LocalPath(c.QueryParam("next")), NoAccounts: !on}))
}

// LogIn answers POST /login (a form: name, password, next): a session
// cookie and a redirect to next; the page again with the reason otherwise
// (401 for a wrong name or password, 429 with Retry-After when slowed down).
func (h *Accounts) LogIn(c echo.Context) error {
	name, next := c.FormValue("name"), LocalPath(c.FormValue("next"))
	ns, err := h.Store.LogIn(c.Request().Context(), name, c.FormValue("password"), c.RealIP())
	if err != nil {
		var se *store.Error
		if !errors.As(err, &se) || (se.Code != store.EUNAUTHORIZED && se.Code != store.ERATELIMIT) {
			return err
		}
		status := http.StatusUnauthorized
		if se.Code == store.ERATELIMIT {
			status = http.StatusTooManyRequests
			if n, ok := se.Fields["retry_after"].(int); ok {
				c.Response().Header().Set("Retry-After", strconv.Itoa(n))
			}
		}
		return Render(c, status, templates.LoginPage(templates.LoginView{Next: next, Name: name, Error: store.ErrorMessage(err)}))
	}
	c.SetCookie(&http.Cookie{Name: SessionCookie, Value: ns.Secret, Path: "/", Expires: ns.MaxExpiry,
		HttpOnly: true, Secure: h.SecureCookie(c), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, next)
}

// LogOut answers POST /logout: the session ends (for good, not only in
// this browser) and the log-in page follows.
func (h *Accounts) LogOut(c echo.Context) error {
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := h.Store.LogOut(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(ClearSessionCookie(h.SecureCookie(c)))
	return c.Redirect(http.StatusSeeOther, "/login")
}

// done is the sentence a redirect after a change shows (?done=what).
func done(what string) string {
	switch what {
	case "added":
		return "The user was added."
	case "role":
		return "The role was changed; it applies to the user's next request."
	case "password":
		return "The password was reset; the user's sessions ended."
	case "removed":
		return "The user was removed; their sessions and tokens ended."
	case "revoked":
		return "The token was revoked."
	}
	return ""
}

// when formats a time for the account lists.
func (h *Accounts) when(t time.Time) (text, iso string) {
	if t.IsZero() {
		return "never", ""
	}
	return ago(h.Clock.Now(), t), t.UTC().Format(time.RFC3339)
}

func (h *Accounts) tokenRows(ts []store.Token) []templates.TokenRow {
	out := make([]templates.TokenRow, 0, len(ts))
	for _, t := range ts {
		created, iso := h.when(t.CreatedAt)
		used, _ := h.when(t.LastUsedAt)
		out = append(out, templates.TokenRow{ID: t.ID, User: t.UserName, Label: t.Label, Created: created, CreatedISO: iso, LastUsed: used})
	}
	return out
}

func (h *Accounts) usersView(c echo.Context) (templates.UsersView, error) {
	ctx := c.Request().Context()
	users, err := h.Store.Users(ctx)
	if err != nil {
		return templates.UsersView{}, err
	}
	tokens, err := h.Store.Tokens(ctx, "")
	if err != nil {
		return templates.UsersView{}, err
	}
	v := templates.UsersView{Tokens: h.tokenRows(tokens), Flash: done(c.QueryParam("done")), Role: string(store.RoleViewer)}
	for _, r := range store.Roles() {
		v.Roles = append(v.Roles, string(r))
	}
	if p := store.PrincipalFrom(ctx); p != nil {
		v.Self = p.Name
	}
	if len(users) == 0 {
		v.Role = string(store.RoleAdmin) // the first user must be one
	}
	for _, u := range users {
		created, iso := h.when(u.CreatedAt)
		v.Users = append(v.Users, templates.UserRow{Name: u.Name, Role: string(u.Role), Created: created, CreatedISO: iso})
	}
	return v, nil
}

// Users answers GET /users: every user and every token.
func (h *Accounts) Users(c echo.Context) error {
	v, err := h.usersView(c)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.UsersPage(v))
}

// usersChange runs one change of the users page: a redirect to the page
// with what was done, or the page with the reason it was refused.
func (h *Accounts) usersChange(c echo.Context, what string, change func(ctx context.Context) error) error {
	err := change(c.Request().Context())
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/users?done="+what)
	}
	var se *store.Error
	if !errors.As(err, &se) || se.Code == store.EINTERNAL || se.Code == store.EUNAVAILABLE {
		return err
	}
	v, verr := h.usersView(c)
	if verr != nil {
		return verr
	}
	v.Error = store.ErrorMessage(err)
	if what == "added" {
		v.Name, v.Role = c.FormValue("name"), c.FormValue("role")
	}
	return Render(c, http.StatusOK, templates.UsersPage(v))
}

// AddUser answers POST /users (a form: name, role, password).
func (h *Accounts) AddUser(c echo.Context) error {
	return h.usersChange(c, "added", func(ctx context.Context) error {
		role, err := store.ParseRole(c.FormValue("role"))
		if err != nil {
			return err
		}
		_, err = h.Store.AddUser(ctx, c.FormValue("name"), role, c.FormValue("password"))
		return err
	})
}

// SetRole answers POST /users/role (a form: name, role).
func (h *Accounts) SetRole(c echo.Context) error {
	return h.usersChange(c, "role", func(ctx context.Context) error {
		role, err := store.ParseRole(c.FormValue("role"))
		if err != nil {
			return err
		}
		_, err = h.Store.SetRole(ctx, c.FormValue("name"), role)
		return err
	})
}

// ResetPassword answers POST /users/password (a form: name, password).
func (h *Accounts) ResetPassword(c echo.Context) error {
	return h.usersChange(c, "password", func(ctx context.Context) error {
		return h.Store.ResetPassword(ctx, c.FormValue("name"), c.FormValue("password"))
	})
}

// RemoveUser answers POST /users/remove (a form: name).
func (h *Accounts) RemoveUser(c echo.Context) error {
	return h.usersChange(c, "removed", func(ctx context.Context) error {
		return h.Store.RemoveUser(ctx, c.FormValue("name"))
	})
}

// tokensView is the signed-in user's tokens.
func (h *Accounts) tokensView(c echo.Context) (templates.TokensView, error) {
	ctx := c.Request().Context()
	p := store.PrincipalFrom(ctx)
	if p == nil {
		return templates.TokensView{NoAccounts: true}, nil
	}
	tokens, err := h.Store.Tokens(ctx, p.UserID)
	if err != nil {
		return templates.TokensView{}, err
	}
	return templates.TokensView{Tokens: h.tokenRows(tokens), Flash: done(c.QueryParam("done"))}, nil
}

// Tokens answers GET /tokens: the signed-in user's tokens.
func (h *Accounts) Tokens(c echo.Context) error {
	v, err := h.tokensView(c)
	if err != nil {
		return err
	}
	return Render(c, http.StatusOK, templates.TokensPage(v))
}

// CreateToken answers POST /tokens (a form: label): the page with the new
// token, shown this once (never in a URL).
func (h *Accounts) CreateToken(c echo.Context) error {
	ctx := c.Request().Context()
	p := store.PrincipalFrom(ctx)
	if p == nil {
		return store.Errorf(store.EINVALID, "there are no accounts yet: the API needs no token")
	}
	label := c.FormValue("label")
	t, secret, err := h.Store.CreateToken(ctx, p.Name, label)
	var se *store.Error
	if err != nil && (!errors.As(err, &se) || se.Code == store.EINTERNAL || se.Code == store.EUNAVAILABLE) {
		return err
	}
	v, verr := h.tokensView(c)
	if verr != nil {
		return verr
	}
	if err != nil {
		v.Error = store.ErrorMessage(err)
	} else {
		v.Secret, v.Label = secret, t.Label
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return Render(c, http.StatusOK, templates.TokensPage(v))
}

// RevokeToken answers POST /tokens/revoke (a form: id, back): an admin may
// revoke anyone's token, others their own.
func (h *Accounts) RevokeToken(c echo.Context) error {
	ctx := c.Request().Context()
	owner := ""
	if p := store.PrincipalFrom(ctx); p != nil && !p.Role.Allows(store.RoleAdmin) {
		owner = p.UserID
	}
	if _, err := h.Store.RevokeToken(ctx, c.FormValue("id"), owner); err != nil {
		return err
	}
	if c.FormValue("back") == "users" {
		return c.Redirect(http.StatusSeeOther, "/users?done=revoked")
	}
	return c.Redirect(http.StatusSeeOther, "/tokens?done=revoked")
}
