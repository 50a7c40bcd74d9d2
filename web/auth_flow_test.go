package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web"
)

// as returns the headers of a request by a: the session cookie (with
// Accept: text/html, as a browser) or, with token, the bearer token.
func as(a *actor, token bool) map[string]string {
	if token {
		return map[string]string{"Authorization": "Bearer " + a.token}
	}
	return map[string]string{"Cookie": "stator_session=" + a.cookie, "Accept": "text/html"}
}

func browser() map[string]string { return map[string]string{"Accept": "text/html"} }

func wantLoginRedirect(t *testing.T, r response, next string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next="+url.QueryEscape(next) {
		t.Fatalf("status %d, Location %q; want 303 to the log-in page and back to %s", r.status, r.header.Get("Location"), next)
	}
}

func want401(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") ||
		r.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d %v %s; want 401 problem+json with WWW-Authenticate: Bearer", r.status, r.header, r.body)
	}
}

// TestZeroConfig: with no user in the database a local server is open to
// everyone, as before accounts existed, and writes are by "anonymous".
func TestZeroConfig(t *testing.T) {
	base, st := testServer(t)
	if r := sendAs(t, "GET", base+"/", nil, browser()); r.status != 200 || strings.Contains(string(r.body), `data-testid="login-link"`) {
		t.Fatalf("the machines page: %d (or it offers a log-in)", r.status)
	}
	r := sendAs(t, "POST", base+"/api/v1/machines", map[string]string{"yaml": sampleMachine}, nil)
	wantStatus(t, r, 201)
	id := r.json(t)["id"].(string)
	wantStatus(t, sendAs(t, "POST", base+"/api/v1/entities", map[string]string{"id": "z1", "machine_id": id}, nil), 201)
	wantStatus(t, sendAs(t, "GET", base+"/users", nil, browser()), 200)
	if r := sendAs(t, "GET", base+"/login", nil, browser()); !strings.Contains(string(r.body), `data-testid="no-accounts"`) {
		t.Fatalf("the log-in page does not say there are no accounts: %s", r.body)
	}
	h := sendAs(t, "GET", base+"/api/v1/entities/z1/history", nil, nil)
	if !strings.Contains(string(h.body), `"actor":"anonymous"`) {
		t.Fatalf("history: %s", h.body)
	}
	revs, err := st.Revisions(context.Background(), id)
	if err != nil || revs[0].Author != "anonymous" {
		t.Fatalf("revisions %+v %v", revs, err)
	}
}

// TestRefuseToStartWithoutUsers: on an address other machines reach, a
// database without users is refused with the command that adds one, unless
// --insecure-no-auth (which logs a warning); with a user it starts.
func TestRefuseToStartWithoutUsers(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		insecure bool
		user     bool
		wantErr  bool
	}{
		{"no user", false, false, true},
		{"no user, --insecure-no-auth", true, false, false},
		{"a user", false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := testStore(t, store.Options{NoScheduler: true})
			defer st.Close()
			if tc.user {
				if _, err := st.AddUser(ctx, "ada", store.RoleAdmin, teamPassword); err != nil {
					t.Fatal(err)
				}
			}
			var log bytes.Buffer
			srv, err := web.New(ctx, web.Config{Addr: "0.0.0.0:0", Store: st, InsecureNoAuth: tc.insecure, Logger: slog.New(slog.NewTextHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			err = srv.Open()
			if tc.wantErr {
				if !errors.Is(err, web.ErrNoUsers) || !strings.Contains(err.Error(), "stator users add NAME --role admin") {
					t.Fatalf("got %v, want ErrNoUsers naming the command", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			srv.Close()
			if got := strings.Contains(log.String(), "insecure-no-auth"); got != tc.insecure {
				t.Fatalf("warning logged: %v, want %v:\n%s", got, tc.insecure, log.String())
			}
		})
	}
}

// TestLogInForm: a wrong password and an unknown name get the same page;
// repeated failures are 429 with Retry-After; the session cookie is
// HttpOnly and SameSite=Lax; next goes back only to a path of this server.
func TestLogInForm(t *testing.T) {
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true})
	errText := regexp.MustCompile(`data-testid="login-error">([^<]*)<`)
	login := func(name, pw, next string) response {
		return sendAs(t, "POST", ts.base+"/login", url.Values{"name": {name}, "password": {pw}, "next": {next}}, browser())
	}
	wrong := login("vera", "wrong password", "/")
	unknown := login("nobody", "wrong password", "/")
	for _, r := range []response{wrong, unknown} {
		if r.status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", r.status)
		}
	}
	w, u := errText.FindSubmatch(wrong.body), errText.FindSubmatch(unknown.body)
	if w == nil || u == nil || string(w[1]) != string(u[1]) || !strings.Contains(string(w[1]), "wrong name or password") {
		t.Fatalf("a wrong password says %q, an unknown name %q: want the same message", w, u)
	}
	for i := 0; i < 4; i++ {
		login("eddie", "wrong password", "/")
	}
	login("eddie", "wrong password", "/") // the fifth failure sets the wait
	slowed := login("eddie", teamPassword, "/")
	if slowed.status != http.StatusTooManyRequests || slowed.header.Get("Retry-After") == "" {
		t.Fatalf("after 5 failures: %d, Retry-After %q; want 429 with Retry-After", slowed.status, slowed.header.Get("Retry-After"))
	}

	nexts := []struct{ next, want string }{
		{"/machines/abc?x=1", "/machines/abc?x=1"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/x", "/"},
		{"/\\evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"http:/evil.example", "/"},
		{"/login", "/"},
		{" /machines", "/"},
	}
	for _, tc := range nexts {
		t.Run("next="+tc.next, func(t *testing.T) {
			r := login("ada", teamPassword, tc.next)
			if r.status != http.StatusSeeOther || r.header.Get("Location") != tc.want {
				t.Fatalf("status %d, Location %q; want 303 to %q", r.status, r.header.Get("Location"), tc.want)
			}
		})
	}
	r := login("ada", teamPassword, "/")
	ck := (&http.Response{Header: r.header}).Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode || ck[0].Secure || ck[0].Path != "/" ||
		ck[0].Expires.Before(time.Now().Add(6*24*time.Hour)) {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure on http, ending in 7 days", ck)
	}
	if !strings.Contains(string(sendAs(t, "GET", ts.base+"/", nil, map[string]string{"Cookie": "stator_session=" + ck[0].Value}).body), `data-testid="current-user">ada<`) {
		t.Fatal("the new session does not show ada")
	}
}

// TestSecureCookieBehindHTTPS: with an https public URL the cookie is Secure.
func TestSecureCookieBehindHTTPS(t *testing.T) {
	ts := newTeamServer(t, func(c *web.Config) { c.PublicURL = "https://stator.example.com" }, store.Options{NoScheduler: true})
	r := sendAs(t, "POST", ts.base+"/login", url.Values{"name": {"ada"}, "password": {teamPassword}}, nil)
	ck := (&http.Response{Header: r.header}).Cookies()
	if len(ck) != 1 || !ck[0].Secure || !ck[0].HttpOnly {
		t.Fatalf("cookie %+v: want Secure and HttpOnly", ck)
	}
}

// TestEndedCredentials: log-out, an expired session, a revoked token and a
// removed user end access at once; malformed credentials are 401.
func TestEndedCredentials(t *testing.T) {
	clock := engine.NewManualClock(time.Now())
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true, Clock: clock})
	admin, editor, viewer := ts.actors[store.RoleAdmin], ts.actors[store.RoleEditor], ts.actors[store.RoleViewer]

	t.Run("log-out", func(t *testing.T) {
		cookie := ts.logIn(t, "eddie", teamPassword)
		h := map[string]string{"Cookie": "stator_session=" + cookie, "Accept": "text/html"}
		wantStatus(t, sendAs(t, "GET", ts.base+"/", nil, h), 200)
		out := sendAs(t, "POST", ts.base+"/logout", url.Values{}, h)
		if out.status != http.StatusSeeOther || out.header.Get("Location") != "/login" || !strings.Contains(out.header.Get("Set-Cookie"), "Max-Age=0") {
			t.Fatalf("log-out: %d %v", out.status, out.header)
		}
		wantLoginRedirect(t, sendAs(t, "GET", ts.base+"/machines/x", nil, h), "/machines/x")
		want401(t, sendAs(t, "GET", ts.base+"/api/v1/machines", nil, map[string]string{"Cookie": "stator_session=" + cookie}))
	})
	t.Run("a revoked token", func(t *testing.T) {
		wantStatus(t, sendAs(t, "GET", ts.base+"/api/v1/machines", nil, as(editor, true)), 200)
		toks, err := ts.st.Tokens(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		id := ""
		for _, tk := range toks {
			if tk.Label == "eddie-token" {
				id = tk.ID
			}
		}
		wantStatus(t, sendAs(t, "POST", ts.base+"/tokens/revoke", url.Values{"id": {id}}, as(editor, false)), http.StatusSeeOther)
		want401(t, sendAs(t, "GET", ts.base+"/api/v1/machines", nil, as(editor, true)))
	})
	t.Run("a removed user", func(t *testing.T) {
		wantStatus(t, sendAs(t, "GET", ts.base+"/", nil, as(viewer, false)), 200)
		r := sendAs(t, "POST", ts.base+"/users/remove", url.Values{"name": {"VERA"}}, as(admin, false))
		if r.status != http.StatusSeeOther {
			t.Fatalf("remove vera: %d %s", r.status, r.body)
		}
		wantLoginRedirect(t, sendAs(t, "GET", ts.base+"/", nil, as(viewer, false)), "/")
		want401(t, sendAs(t, "GET", ts.base+"/api/v1/machines", nil, as(viewer, true)))
	})
	t.Run("the last admin", func(t *testing.T) {
		r := sendAs(t, "POST", ts.base+"/users/remove", url.Values{"name": {"ada"}}, as(admin, false))
		if r.status != 200 || !strings.Contains(string(r.body), "last admin") {
			t.Fatalf("remove the last admin: %d %s", r.status, r.body)
		}
		r = sendAs(t, "POST", ts.base+"/users/role", url.Values{"name": {"ada"}, "role": {"editor"}}, as(admin, false))
		if r.status != 200 || !strings.Contains(string(r.body), "last admin") {
			t.Fatalf("demote the last admin: %d %s", r.status, r.body)
		}
		wantStatus(t, sendAs(t, "GET", ts.base+"/users", nil, as(admin, false)), 200)
	})
	t.Run("an expired session", func(t *testing.T) {
		clock.Advance(store.SessionIdle + time.Minute)
		r := sendAs(t, "GET", ts.base+"/", nil, as(admin, false))
		wantLoginRedirect(t, r, "/")
		if !strings.Contains(r.header.Get("Set-Cookie"), "stator_session=;") {
			t.Fatalf("the ended session's cookie is not cleared: %v", r.header)
		}
	})
	t.Run("malformed credentials", func(t *testing.T) {
		for _, h := range []string{"Basic YWRhOnB3", "Bearer", "Bearer stator_unknown", "Bearer " + editor.token + "x", "stator_x"} {
			want401(t, sendAs(t, "GET", ts.base+"/api/v1/machines", nil, map[string]string{"Authorization": h}))
		}
		want401(t, sendAs(t, "GET", ts.base+"/api/v1/machines", nil, map[string]string{"Cookie": "stator_session=forged"}))
	})
	t.Run("htmx without a session", func(t *testing.T) {
		r := sendAs(t, "POST", ts.base+"/machines/abc/save", url.Values{"yaml": {"x"}},
			map[string]string{"HX-Request": "true", "HX-Current-URL": ts.base + "/machines/abc", "Accept": "text/html"})
		if r.status != http.StatusUnauthorized || r.header.Get("HX-Redirect") != "/login?next="+url.QueryEscape("/machines/abc") {
			t.Fatalf("status %d, HX-Redirect %q", r.status, r.header.Get("HX-Redirect"))
		}
	})
}

// TestPagesShowWhatTheRoleMayDo: the header shows the user; a viewer is not
// offered Save, Fork, Delete or New machine, an editor is; only admins see
// the users page.
func TestPagesShowWhatTheRoleMayDo(t *testing.T) {
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true})
	m, err := ts.st.CreateMachine(context.Background(), sampleMachine)
	if err != nil {
		t.Fatal(err)
	}
	offered := func(html, testid string) bool {
		re := regexp.MustCompile(`<[^>]*data-testid="` + testid + `"[^>]*>`)
		return re.MatchString(html)
	}
	hiddenForm := func(html, action string) bool {
		return regexp.MustCompile(`<form[^>]*action="` + regexp.QuoteMeta(action) + `"[^>]*hidden`).MatchString(html)
	}
	tests := []struct {
		role         store.Role
		edit, manage bool
	}{
		{store.RoleViewer, false, false},
		{store.RoleEditor, true, false},
		{store.RoleAdmin, true, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			a := ts.actors[tc.role]
			ws := string(sendAs(t, "GET", ts.base+"/machines/"+m.ID, nil, as(a, false)).body)
			if !strings.Contains(ws, `data-testid="current-user">`+a.name+`<`) || !strings.Contains(ws, `data-testid="current-role">`+string(tc.role)+`<`) {
				t.Fatalf("the header does not show %s (%s)", a.name, tc.role)
			}
			if got := offered(ws, "save"); got != tc.edit {
				t.Errorf("Save offered: %v, want %v", got, tc.edit)
			}
			if got := !hiddenForm(ws, "/machines/"+m.ID+"/fork"); got != tc.edit {
				t.Errorf("Fork offered: %v, want %v", got, tc.edit)
			}
			e, err := ts.st.CreateEntity(context.Background(), store.NewEntity{MachineID: m.ID, Actor: "ada"})
			if err != nil {
				t.Fatal(err)
			}
			ep := string(sendAs(t, "GET", ts.base+"/entities/"+e.ID, nil, as(a, false)).body)
			if got := !regexp.MustCompile(`<form[^>]*data-testid="send-event"[^>]*hidden`).MatchString(ep); got != tc.edit {
				t.Errorf("the entity page's send-event form offered: %v, want %v", got, tc.edit)
			}
			if !strings.Contains(ep, `data-testid="history-actor">by ada<`) {
				t.Error("the entity page's history does not say who created the entity")
			}
			list := string(sendAs(t, "GET", ts.base+"/", nil, as(a, false)).body)
			if got := !hiddenForm(list, "/machines/"+m.ID+"/delete"); got != tc.edit {
				t.Errorf("Delete offered: %v, want %v", got, tc.edit)
			}
			if got := !regexp.MustCompile(`<details class="menu new-menu" hidden`).MatchString(list); got != tc.edit {
				t.Errorf("New machine offered: %v, want %v", got, tc.edit)
			}
			if got := offered(list, "nav-users"); got != tc.manage {
				t.Errorf("the users page offered: %v, want %v", got, tc.manage)
			}
			if !offered(list, "logout") || !offered(list, "nav-tokens") {
				t.Error("no log-out or tokens link")
			}
		})
	}
	share, err := ts.st.CreateShare(context.Background(), sampleMachine, nil)
	if err != nil {
		t.Fatal(err)
	}
	anon := string(sendAs(t, "GET", ts.base+"/s/"+share.ID, nil, browser()).body)
	if !strings.Contains(anon, `data-testid="login-link"`) || strings.Contains(anon, `data-testid="current-user"`) {
		t.Fatal("a share page opened by nobody should offer to log in")
	}
}

// TestAuditTrail: revisions and history rows record the user of a session or
// the label of a token, and the workspace shows who saved the revision.
func TestAuditTrail(t *testing.T) {
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true})
	editor := ts.actors[store.RoleEditor]
	r := sendAs(t, "POST", ts.base+"/api/v1/machines", map[string]string{"yaml": sampleMachine}, as(editor, true))
	wantStatus(t, r, 201)
	id := r.json(t)["id"].(string)
	edited := sampleMachine + "# edited on the page\n"
	wantStatus(t, sendAs(t, "POST", ts.base+"/machines/"+id+"/save", url.Values{"yaml": {edited}}, as(editor, false)), 200)
	revs, err := ts.st.Revisions(context.Background(), id)
	if err != nil || len(revs) != 2 || revs[0].Author != "eddie" || revs[1].Author != "eddie-token" {
		t.Fatalf("revisions %+v %v; want eddie (page) over eddie-token (API)", revs, err)
	}
	ws := string(sendAs(t, "GET", ts.base+"/machines/"+id, nil, as(ts.actors[store.RoleViewer], false)).body)
	if !regexp.MustCompile(`data-testid="revision-author"[^>]*>by eddie<`).MatchString(ws) {
		t.Fatal("the workspace does not show who saved the revision")
	}
	wantStatus(t, sendAs(t, "POST", ts.base+"/machines/"+id+"/entities", url.Values{"id": {"a-1"}}, as(editor, false)), 200)
	wantStatus(t, sendAs(t, "POST", ts.base+"/api/v1/entities/a-1/events", map[string]string{"trigger": "go"}, as(editor, true)), 200)
	wantStatus(t, sendAs(t, "POST", ts.base+"/entities/a-1/send", url.Values{"op": {"event:stop"}}, as(ts.actors[store.RoleAdmin], false)), 200)
	h := sendAs(t, "GET", ts.base+"/api/v1/entities/a-1/history", nil, as(ts.actors[store.RoleViewer], true))
	var got []string
	for _, m := range regexp.MustCompile(`"actor":"([^"]*)"`).FindAllSubmatch(h.body, -1) {
		got = append(got, string(m[1]))
	}
	if strings.Join(got, ",") != "eddie,eddie-token,ada" {
		t.Fatalf("history actors %v, want eddie (page), eddie-token (API), ada (page)", got)
	}
}

// TestTokensPage: a token made on the page is shown once, works for the
// API, and is listed with its label (never its secret) afterwards.
func TestTokensPage(t *testing.T) {
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true})
	viewer := ts.actors[store.RoleViewer]
	r := sendAs(t, "POST", ts.base+"/tokens", url.Values{"label": {"grafana ✓"}}, as(viewer, false))
	m := regexp.MustCompile(`value="(stator_[A-Za-z0-9_-]+)" data-testid="token-secret"`).FindSubmatch(r.body)
	if r.status != 200 || m == nil {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	secret := string(m[1])
	wantStatus(t, sendAs(t, "GET", ts.base+"/metrics", nil, map[string]string{"Authorization": "Bearer " + secret}), 200)
	list := sendAs(t, "GET", ts.base+"/tokens", nil, as(viewer, false))
	if strings.Contains(string(list.body), secret) || !strings.Contains(string(list.body), `data-label="grafana ✓"`) {
		t.Fatal("the list shows the secret, or not the label")
	}
	again := sendAs(t, "POST", ts.base+"/tokens", url.Values{"label": {"GRAFANA ✓"}}, as(viewer, false))
	if again.status != 200 || !strings.Contains(string(again.body), `data-testid="form-error"`) {
		t.Fatalf("a label taken: %d %s", again.status, again.body)
	}
	// another user's token cannot be revoked by a viewer
	toks, _ := ts.st.Tokens(context.Background(), "")
	for _, tk := range toks {
		if tk.UserName == "ada" {
			r := sendAs(t, "POST", ts.base+"/tokens/revoke", url.Values{"id": {tk.ID}}, as(viewer, false))
			if r.status != http.StatusNotFound {
				t.Fatalf("a viewer revokes ada's token: %d", r.status)
			}
		}
	}
}

// TestOpenAPIDeclaresBearer: the OpenAPI document declares the bearer
// scheme for every operation but /health, with a 401 answer, and /docs says
// how to get a token.
func TestOpenAPIDeclaresBearer(t *testing.T) {
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true})
	viewer := ts.actors[store.RoleViewer]
	r := sendAs(t, "GET", ts.base+"/api/v1/openapi.json", nil, as(viewer, true))
	wantStatus(t, r, 200)
	var doc struct {
		Security   []map[string][]string `json:"security"`
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string } `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	type operation struct {
		Security  *[]map[string][]string `json:"security"`
		Responses map[string]any         `json:"responses"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if b := doc.Components.SecuritySchemes["bearer"]; b.Type != "http" || b.Scheme != "bearer" || len(doc.Security) != 1 || doc.Security[0]["bearer"] == nil {
		t.Fatalf("bearer scheme %+v, security %v", b, doc.Security)
	}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			open := op.Security != nil && len(*op.Security) == 0
			if open != (path == "/health" || path == "/ready") {
				t.Errorf("%s %s: open to anyone %v", method, path, open)
			}
			if _, ok := op.Responses["401"]; !ok && !open {
				t.Errorf("%s %s declares no 401", method, path)
			}
		}
	}
	page := string(sendAs(t, "GET", ts.base+"/docs", nil, as(viewer, false)).body)
	if !strings.Contains(page, `data-testid="docs-auth"`) || !strings.Contains(page, "stator tokens create") {
		t.Fatal("/docs does not say how to get a token")
	}
}
