package e2e

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web"
)

const accountsPassword = "correct horse battery staple"

// startTeamServer starts the real server on a fresh SQLite database with an
// admin (ada) and a viewer (vera): accounts are on.
func startTeamServer(t *testing.T) (string, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenStore(ctx, filepath.Join(t.TempDir(), "stator.db"), sqlite.Options{}, store.Options{NoScheduler: true})
	if err != nil {
		t.Fatal(err)
	}
	// the first user must be an admin: in this order
	for _, u := range []struct {
		name string
		role store.Role
	}{{"ada", store.RoleAdmin}, {"vera", store.RoleViewer}} {
		if _, err := st.AddUser(ctx, u.name, u.role, accountsPassword); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		st.Close()
	})
	return srv.URL(), st
}

// logIn fills the log-in form the page shows and submits it.
func (p *tab) logIn(name, password string) {
	p.t.Helper()
	p.wait("the log-in form", tidJS("login-submit"))
	p.do("type the name and the password",
		chromedp.SendKeys(tid("login-user"), name),
		chromedp.SendKeys(tid("login-password"), password))
	p.clickAndLoad("log in", tid("login-submit"))
}

func (p *tab) path() string {
	p.t.Helper()
	return eval[string](p, `location.pathname + location.search`)
}

// TestAccountsInBrowser: a page asks for a log-in and comes back after it;
// the header shows the user; a viewer is not offered Save; log-out ends the
// session for good; a share link opens for someone signed out.
func TestAccountsInBrowser(t *testing.T) {
	t.Parallel()
	base, st := startTeamServer(t)
	ctx := context.Background()
	m, err := st.FindMachine(ctx, "order_management", "")
	if err != nil {
		t.Fatal(err)
	}
	sh := newShots(t)
	b := newBrowser(t)

	// the admin: asked to log in on the way to the machine, and sent back there
	admin := openTab(t, b, base, sh, true)
	admin.open("/machines/" + m.ID)
	if got := admin.path(); got != "/login?next="+url.QueryEscape("/machines/"+m.ID) {
		t.Fatalf("signed out, /machines/%s went to %q; want the log-in page", m.ID, got)
	}
	admin.shot("login-page")
	admin.logIn("ada", "wrong password")
	admin.wait("the error", tidJS("login-error"))
	if got := admin.text("login-error"); !strings.Contains(got, "rong name or password") {
		t.Fatalf("login error %q", got)
	}
	admin.logIn("", accountsPassword) // the name is still in the field
	admin.waitWorkspace()
	if got := admin.path(); got != "/machines/"+m.ID {
		t.Fatalf("after the log-in at %q, want the machine", got)
	}
	if got := admin.text("current-user"); got != "ada" {
		t.Fatalf("current user %q, want ada", got)
	}
	if !eval[bool](admin, tidJS("save")+" !== null") {
		t.Fatal("an admin has no Save button")
	}
	admin.shot("admin-workspace")
	admin.open("/users")
	admin.wait("the users", `document.querySelectorAll("[data-testid=user-row]").length === 2`)
	admin.shot("users-page")

	// the viewer: signed in, sees no Save (and no Fork), and the server
	// refuses a save anyway
	viewer := openTab(t, b, base, sh, true)
	viewer.open("/login?next=" + url.QueryEscape("/machines/"+m.ID))
	viewer.logIn("vera", accountsPassword)
	viewer.waitWorkspace()
	if got := viewer.text("current-user"); got != "vera" {
		t.Fatalf("current user %q, want vera", got)
	}
	if eval[bool](viewer, tidJS("save")+" !== null") {
		t.Fatal("a viewer is offered Save")
	}
	if eval[bool](viewer, `(function(){var f=document.querySelector("#fork-form"); return !!f && f.offsetParent !== null})()`) {
		t.Fatal("a viewer is offered Fork")
	}
	viewer.shot("viewer-workspace")
	viewer.noErrors()

	// log-out: the log-in page, and the old session no longer works
	got, err := chromedp.Run(withTimeout(t, viewer.ctx, stepTimeout), chromedp.Action[network.GetCookiesResult](func(c context.Context, tg *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(c, tg, network.GetCookies, network.GetCookiesParams{})
	}))
	if err != nil {
		t.Fatal(err)
	}
	session := ""
	for _, c := range got.Cookies {
		if c.Name == "stator_session" {
			session = c.Value
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax {
				t.Errorf("cookie %+v: want HttpOnly and SameSite=Lax", c)
			}
		}
	}
	if session == "" {
		t.Fatal("no session cookie in the browser")
	}
	viewer.clickAndLoad("log out", tid("logout"))
	if got := viewer.path(); got != "/login" {
		t.Fatalf("after log-out at %q, want /login", got)
	}
	viewer.open("/")
	if got := viewer.path(); !strings.HasPrefix(got, "/login?next=") {
		t.Fatalf("after log-out / went to %q; want the log-in page", got)
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/machines", nil)
	req.Header.Set("Cookie", "stator_session="+session)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the logged-out session's cookie: %d, want 401", res.StatusCode)
	}

	// a share link, opened by someone signed out: the machine and its
	// simulator, and an offer to log in
	share, err := st.CreateShare(ctx, m.YAML, nil)
	if err != nil {
		t.Fatal(err)
	}
	anon := openTab(t, b, base, sh, true)
	anon.open("/s/" + share.ID)
	anon.waitWorkspace()
	if got := anon.path(); got != "/s/"+share.ID {
		t.Fatalf("the share link went to %q", got)
	}
	if got := anon.text("sim-state"); got != "pending_new" {
		t.Fatalf("the shared simulator is at %q, want pending_new", got)
	}
	if !eval[bool](anon, tidJS("login-link")+" !== null") || eval[bool](anon, tidJS("current-user")+" !== null") {
		t.Fatal("a signed-out share page should offer to log in and show no user")
	}
	anon.shot("share-signed-out")
	anon.noErrors()
}
