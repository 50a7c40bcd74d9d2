package web

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web/handlers/pages"
	"github.com/statorhq/stator/web/templates"
)

// AccountStore is what the server needs of the store for accounts: whether
// any user exists, and who a session or a token is.
type AccountStore interface {
	HasUsers(ctx context.Context) (bool, error)
	SessionUser(ctx context.Context, secret string) (*store.Principal, error)
	TokenUser(ctx context.Context, secret string) (*store.Principal, error)
}

// ErrNoUsers is why a server on an address other machines reach does not
// start on a database without users (SPEC 12.2).
var ErrNoUsers = errors.New("no user exists in the database")

// access is the access table of a server: the rules of accessRules, and
// which routes are registered (a registered route without a rule is
// refused to all but admins; an unregistered one is a 404 for anyone
// signed in).
type access struct {
	rules      map[string]map[string]store.Role
	registered map[string]map[string]bool
}

func newAccess(e *echo.Echo) *access {
	a := &access{rules: accessRules(), registered: map[string]map[string]bool{}}
	for _, r := range e.Routes() {
		if a.registered[r.Method] == nil {
			a.registered[r.Method] = map[string]bool{}
		}
		a.registered[r.Method][r.Path] = true
	}
	return a
}

// need is the role a request needs, or public.
func (a *access) need(method, path string) store.Role {
	if role, ok := a.rules[method][path]; ok {
		return role
	}
	if a.registered[method][path] {
		return store.RoleAdmin // a route without a rule: closed
	}
	return store.RoleViewer // no such route: a 404 once signed in
}

// authenticate is the access check of every request (SPEC 12.2). With no
// user in the database everything is open, as before accounts existed.
// Else it finds the request's principal (a bearer token, or the session
// cookie), puts it in the request's context (store.NewContext: writes
// record its actor; templates.WithViewer: pages show the user and only
// what their role may do), and checks the route's role in the access
// table: no credentials is 401 for the API and a redirect to the log-in
// page for pages, too small a role 403.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		need := s.access.need(r.Method, c.Path())
		on, err := s.cfg.Store.HasUsers(r.Context())
		if err != nil {
			return err
		}
		if !on {
			return next(c)
		}
		p, err := s.principal(c)
		if err != nil && need != public {
			return s.signIn(c, err)
		}
		v := templates.Viewer{Accounts: true}
		if p != nil {
			v = viewerOf(p)
			c.SetRequest(r.WithContext(templates.WithViewer(store.NewContext(r.Context(), p), v)))
		} else {
			c.SetRequest(r.WithContext(templates.WithViewer(r.Context(), v)))
		}
		switch {
		case need == public:
			return next(c)
		case p == nil:
			return s.signIn(c, nil)
		case !p.Role.Allows(need):
			return &store.Error{Code: store.EFORBIDDEN, Detail: "role_too_small",
				Message: fmt.Sprintf("you are signed in as %s (%s); this needs the role %s: ask an admin", p.Name, p.Role, need)}
		}
		return next(c)
	}
}

// principal is who the request's credentials name: a bearer token, else
// the session cookie; nil when it carries neither.
func (s *Server) principal(c echo.Context) (*store.Principal, error) {
	r := c.Request()
	if h := r.Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return nil, store.Errorf(store.EUNAUTHORIZED, "the Authorization header must be \"Bearer <token>\"")
		}
		return s.cfg.Store.TokenUser(r.Context(), strings.TrimSpace(token))
	}
	if ck, err := r.Cookie(pages.SessionCookie); err == nil && ck.Value != "" {
		return s.cfg.Store.SessionUser(r.Context(), ck.Value)
	}
	return nil, nil
}

// signIn answers a request without valid credentials: 401 with
// WWW-Authenticate for the API (the error handler adds it), a redirect to
// the log-in page, and back, for pages.
func (s *Server) signIn(c echo.Context, cause error) error {
	if cause != nil && store.ErrorCode(cause) != store.EUNAUTHORIZED {
		return cause // the database failed, say
	}
	if !s.wantsHTML(c) || c.Request().Header.Get(echo.HeaderAuthorization) != "" {
		if cause == nil {
			cause = &store.Error{Code: store.EUNAUTHORIZED, Detail: "sign_in",
				Message: "sign in first: send Authorization: Bearer <token> (a token comes from the Tokens page or `stator tokens create`), or log in at /login"}
		}
		return cause
	}
	if ck, err := c.Request().Cookie(pages.SessionCookie); err == nil && ck.Value != "" {
		c.SetCookie(pages.ClearSessionCookie(s.secureCookie(c)))
	}
	login := "/login?next=" + url.QueryEscape(s.returnTo(c))
	if c.Request().Header.Get("HX-Request") != "" {
		c.Response().Header().Set("HX-Redirect", login)
		return c.NoContent(http.StatusUnauthorized)
	}
	return c.Redirect(http.StatusSeeOther, login)
}

// returnTo is the local path a page request was going to: the page itself
// for a navigation, the page it came from for a form or an htmx request.
func (s *Server) returnTo(c echo.Context) string {
	r := c.Request()
	if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" {
		return r.URL.RequestURI()
	}
	from := r.Header.Get("HX-Current-URL")
	if from == "" {
		from = r.Header.Get("Referer")
	}
	if u, err := url.Parse(from); err == nil && strings.EqualFold(u.Host, r.Host) {
		return pages.LocalPath(u.RequestURI())
	}
	return "/"
}

// secureCookie says whether the session cookie gets Secure: the server is
// reached over https (its --public-url, or this request).
func (s *Server) secureCookie(c echo.Context) bool {
	if s.public != nil {
		return s.public.Scheme == "https"
	}
	return s.scheme(c.Request()) == "https"
}

// viewerOf is what the pages show of a principal and let it do.
func viewerOf(p *store.Principal) templates.Viewer {
	return templates.Viewer{Accounts: true, SignedIn: true, Name: p.Name, Role: string(p.Role), Token: p.TokenLabel,
		CanEdit: p.Role.Allows(store.RoleEditor), CanManage: p.Role.Allows(store.RoleAdmin)}
}

// actorOf names who makes a request for the API handlers (the store would
// find it in the context too).
func actorOf(c echo.Context) string {
	if p := store.PrincipalFrom(c.Request().Context()); p != nil {
		return p.Actor()
	}
	return ""
}

// checkAccounts refuses to serve an address other machines reach from a
// database without users, unless told to (--insecure-no-auth, with a
// warning).
func (s *Server) checkAccounts(ctx context.Context, addr net.Addr) error {
	if isLoopback(addr) {
		return nil
	}
	on, err := s.cfg.Store.HasUsers(ctx)
	if err != nil {
		return err
	}
	if on {
		return nil
	}
	if s.cfg.InsecureNoAuth {
		s.cfg.Logger.Warn("serving an address other machines reach with no accounts (--insecure-no-auth): anyone who reaches it may change or delete every machine; add a user with `stator users add NAME --role admin`",
			"addr", addr.String())
		return nil
	}
	return fmt.Errorf("%w, and %s is reachable from other machines: add an admin first with `stator users add NAME --role admin` (with the same --db), listen on 127.0.0.1, or start with --insecure-no-auth",
		ErrNoUsers, addr.String())
}
