package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/web"
)

// actor is one signed-in user of a test server: their session cookie and
// a token.
type actor struct {
	name   string
	role   store.Role
	cookie string
	token  string
}

// teamServer is a server with accounts: an admin, an editor and a viewer,
// each logged in and with a token.
type teamServer struct {
	base   string
	srv    *web.Server
	st     *store.Store
	actors map[store.Role]*actor
}

const teamPassword = "correct horse battery staple"

// newTeamServer starts the real server on a fresh database with three users
// (one per role), each with a session (logged in through /login) and a token
// labelled "<name>-token".
func newTeamServer(t *testing.T, cfg func(*web.Config), so store.Options) *teamServer {
	t.Helper()
	ctx := context.Background()
	st := testStore(t, so)
	for _, u := range []struct {
		name string
		role store.Role
	}{{"ada", store.RoleAdmin}, {"eddie", store.RoleEditor}, {"vera", store.RoleViewer}} {
		if _, err := st.AddUser(ctx, u.name, u.role, teamPassword); err != nil {
			t.Fatal(err)
		}
	}
	c := web.Config{Addr: "127.0.0.1:0", Store: st}
	if cfg != nil {
		cfg(&c)
	}
	srv, err := web.New(ctx, c)
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
	ts := &teamServer{base: srv.URL(), srv: srv, st: st, actors: map[store.Role]*actor{}}
	for name, role := range map[string]store.Role{"ada": store.RoleAdmin, "eddie": store.RoleEditor, "vera": store.RoleViewer} {
		a := &actor{name: name, role: role, cookie: ts.logIn(t, name, teamPassword)}
		_, tok, err := st.CreateToken(ctx, name, name+"-token")
		if err != nil {
			t.Fatal(err)
		}
		a.token = tok
		ts.actors[role] = a
	}
	return ts
}

// logIn logs in through the form and returns the session cookie's value.
func (ts *teamServer) logIn(t *testing.T, name, password string) string {
	t.Helper()
	r := sendAs(t, "POST", ts.base+"/login", url.Values{"name": {name}, "password": {password}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("log in as %s: %d %s", name, r.status, r.body)
	}
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == "stator_session" && ck.Value != "" {
			return ck.Value
		}
	}
	t.Fatalf("log in as %s: no session cookie in %v", name, r.header)
	return ""
}

// sendAs sends a form (url.Values), JSON (anything else) or nothing, with
// headers, without following redirects.
func sendAs(t *testing.T, method, u string, body any, headers map[string]string) response {
	t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ctype = strings.NewReader(string(j)), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// routeSample is what the test expects of a route: the smallest role that
// may call it as SPEC 12.2 says (anyone: no role), and a request to it.
type routeSample struct {
	need  store.Role
	build func(a *actor) sample
}

// sample is a request a route answers when its caller may call it.
type sample struct {
	path   string
	body   any // url.Values for a page's form, else JSON
	status int
	// cookie replaces the caller's session (log-out ends the one it is sent).
	cookie string
}

const sampleMachine = `
meta: {machine_name: sample, version: "1"}
states:
  - {name: idle, type: initial}
  - {name: busy}
transitions:
  - {trigger: go, source: idle, dest: busy}
  - {trigger: stop, source: busy, dest: idle}
`

// samples has, for every route ("METHOD /echo/path"), a request that
// succeeds when its caller has the role, built on fixtures made for it.
func samples(t *testing.T, ts *teamServer) map[string]routeSample {
	ctx := context.Background()
	anyone, v, e, a := store.Role(""), store.RoleViewer, store.RoleEditor, store.RoleAdmin
	var n atomic.Int64
	uniq := func(s string) string { return fmt.Sprintf("%s%d", s, n.Add(1)) }
	machine := func() *store.Machine {
		text := strings.Replace(sampleMachine, "sample", uniq("sample_"), 1)
		m, err := ts.st.CreateMachine(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := machine()
	entity, err := ts.st.CreateEntity(ctx, store.NewEntity{ID: "e-1", MachineID: m.ID})
	if err != nil {
		t.Fatal(err)
	}
	share, err := ts.st.CreateShare(ctx, sampleMachine, nil)
	if err != nil {
		t.Fatal(err)
	}
	user := func() string {
		name := uniq("temp")
		if _, err := ts.st.AddUser(ctx, name, store.RoleViewer, teamPassword); err != nil {
			t.Fatal(err)
		}
		return name
	}
	form := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	fixed := func(s sample) func(*actor) sample { return func(*actor) sample { return s } }
	fixedFor := func(need store.Role, s sample) routeSample { return routeSample{need, fixed(s)} }
	return map[string]routeSample{
		"GET /health":                fixedFor(anyone, sample{path: "/health", status: 200}),
		"GET /ready":                 fixedFor(anyone, sample{path: "/ready", status: 200}),
		"GET /static*":               fixedFor(anyone, sample{path: "/static/css/app.css", status: 200}),
		"GET /login":                 fixedFor(anyone, sample{path: "/login", status: 200}),
		"GET /s/:id":                 fixedFor(anyone, sample{path: "/s/" + share.ID, status: 200}),
		"GET /metrics":               fixedFor(v, sample{path: "/metrics", status: 200}),
		"GET /docs":                  fixedFor(v, sample{path: "/docs", status: 200}),
		"GET /":                      fixedFor(v, sample{path: "/", status: 200}),
		"GET /machines/:id":          fixedFor(v, sample{path: "/machines/" + m.ID, status: 200}),
		"GET /machines/:id/entities": fixedFor(v, sample{path: "/machines/" + m.ID + "/entities", status: 200}),
		"GET /entities/:id":          fixedFor(v, sample{path: "/entities/" + entity.ID, status: 200}),
		"GET /draft":                 fixedFor(v, sample{path: "/draft", status: 200}),
		"GET /tokens":                fixedFor(v, sample{path: "/tokens", status: 200}),
		"GET /users":                 fixedFor(a, sample{path: "/users", status: 200}),
		"GET /new":                   fixedFor(e, sample{path: "/new?template=blank", status: 200}),
		"POST /new": {e, func(*actor) sample {
			return sample{path: "/new", body: form("yaml", strings.Replace(sampleMachine, "sample", uniq("new_"), 1)), status: 200}
		}},
		"GET /machines/:id/revisions":        fixedFor(v, sample{path: "/machines/" + m.ID + "/revisions", status: 200}),
		"GET /machines/:id/compare":          fixedFor(v, sample{path: "/machines/" + m.ID + "/compare?from=1&to=1", status: 200}),
		"GET /machines/:id/migrate":          fixedFor(e, sample{path: "/machines/" + m.ID + "/migrate", status: 200}),
		"GET /machines/:id/migrate/progress": fixedFor(v, sample{path: "/machines/" + m.ID + "/migrate/progress?to=1", status: 200}),
		"POST /machines/:id/migrate": fixedFor(e, sample{path: "/machines/" + m.ID + "/migrate",
			body: form("to_revision", "1", "dry_run", "true"), status: 200}),
		"POST /machines/:id/revisions/:n/restore": {e, func(*actor) sample {
			two := machine()
			if _, err := ts.st.UpdateMachine(ctx, two.ID, strings.Replace(sampleMachine, "sample", two.Name, 1)+"# second\n"); err != nil {
				t.Fatal(err)
			}
			return sample{path: "/machines/" + two.ID + "/revisions/1/restore", body: form("base_revision", "2"), status: 200}
		}},
		"GET /api/v1/machines/:id/revisions":    fixedFor(v, sample{path: "/api/v1/machines/" + m.ID + "/revisions", status: 200}),
		"GET /api/v1/machines/:id/revisions/:n": fixedFor(v, sample{path: "/api/v1/machines/" + m.ID + "/revisions/1", status: 200}),
		"GET /api/v1/machines/:id/diff":         fixedFor(v, sample{path: "/api/v1/machines/" + m.ID + "/diff?from=1&to=1", status: 200}),
		"POST /api/v1/machines/:id/revisions/:n/restore": {e, func(*actor) sample {
			two := machine()
			if _, err := ts.st.UpdateMachine(ctx, two.ID, strings.Replace(sampleMachine, "sample", two.Name, 1)+"# second\n"); err != nil {
				t.Fatal(err)
			}
			return sample{path: "/api/v1/machines/" + two.ID + "/revisions/1/restore", body: map[string]int{"base_revision": 2}, status: 200}
		}},
		"POST /api/v1/machines/:id/migrate": fixedFor(e, sample{path: "/api/v1/machines/" + m.ID + "/migrate",
			body: map[string]any{"to_revision": 1, "dry_run": true}, status: 200}),
		"POST /login": {anyone, func(*actor) sample {
			return sample{path: "/login", body: form("name", user(), "password", teamPassword, "next", "/machines"), status: 303}
		}},
		"POST /logout": {v, func(who *actor) sample {
			if who == nil {
				return sample{path: "/logout", body: url.Values{}, status: 303}
			}
			return sample{path: "/logout", body: url.Values{}, status: 303, cookie: ts.logIn(t, who.name, teamPassword)}
		}},
		"POST /workspace/analyze":  fixedFor(anyone, sample{path: "/workspace/analyze", body: form("yaml", sampleMachine), status: 200}),
		"POST /workspace/simulate": fixedFor(anyone, sample{path: "/workspace/simulate", body: form("yaml", sampleMachine, "op", "refresh"), status: 200}),
		"POST /workspace/export":   fixedFor(anyone, sample{path: "/workspace/export", body: form("yaml", sampleMachine, "format", "yaml"), status: 200}),
		"POST /workspace/share": {v, func(*actor) sample {
			return sample{path: "/workspace/share", body: form("yaml", sampleMachine+"#"+uniq("")), status: 200}
		}},
		"POST /tokens": {v, func(*actor) sample { return sample{path: "/tokens", body: form("label", uniq("label")), status: 200} }},
		"POST /tokens/revoke": {v, func(who *actor) sample {
			owner := "ada"
			if who != nil {
				owner = who.name
			}
			tok, _, err := ts.st.CreateToken(ctx, owner, uniq("revoke-me"))
			if err != nil {
				t.Fatal(err)
			}
			return sample{path: "/tokens/revoke", body: form("id", tok.ID), status: 303}
		}},
		"POST /machines": fixedFor(e, sample{path: "/machines", body: form("template", "blank"), status: 303}),
		"POST /machines/:id/save": fixedFor(e, sample{path: "/machines/" + m.ID + "/save",
			body: form("yaml", strings.Replace(sampleMachine, "sample", m.Name, 1)+"# saved\n"), status: 200}),
		"POST /machines/:id/fork": fixedFor(e, sample{path: "/machines/" + m.ID + "/fork", body: url.Values{}, status: 303}),
		"POST /machines/:id/delete": {e, func(*actor) sample {
			return sample{path: "/machines/" + machine().ID + "/delete", body: url.Values{}, status: 303}
		}},
		"POST /machines/:id/entities": {e, func(*actor) sample {
			return sample{path: "/machines/" + m.ID + "/entities", body: form("id", uniq("pe-")), status: 200}
		}},
		"POST /entities/:id/send": fixedFor(e, sample{path: "/entities/" + entity.ID + "/send", body: form("op", "event:go"), status: 200}),
		"POST /users": {a, func(*actor) sample {
			return sample{path: "/users", body: form("name", uniq("new"), "role", "viewer", "password", teamPassword), status: 303}
		}},
		"POST /users/role": {a, func(*actor) sample {
			return sample{path: "/users/role", body: form("name", user(), "role", "editor"), status: 303}
		}},
		"POST /users/password": {a, func(*actor) sample {
			return sample{path: "/users/password", body: form("name", user(), "password", "another password"), status: 303}
		}},
		"POST /users/remove": {a, func(*actor) sample { return sample{path: "/users/remove", body: form("name", user()), status: 303} }},

		"GET /api/v1/openapi.json":         fixedFor(v, sample{path: "/api/v1/openapi.json", status: 200}),
		"GET /api/v1/machines":             fixedFor(v, sample{path: "/api/v1/machines", status: 200}),
		"GET /api/v1/machines/:id":         fixedFor(v, sample{path: "/api/v1/machines/" + m.ID, status: 200}),
		"GET /api/v1/machines/:id/stats":   fixedFor(v, sample{path: "/api/v1/machines/" + m.ID + "/stats", status: 200}),
		"GET /api/v1/entities":             fixedFor(v, sample{path: "/api/v1/entities", status: 200}),
		"GET /api/v1/entities/:id":         fixedFor(v, sample{path: "/api/v1/entities/" + entity.ID, status: 200}),
		"GET /api/v1/entities/:id/history": fixedFor(v, sample{path: "/api/v1/entities/" + entity.ID + "/history", status: 200}),
		"GET /api/v1/shares/:id":           fixedFor(v, sample{path: "/api/v1/shares/" + share.ID, status: 200}),
		"POST /api/v1/validate":            fixedFor(v, sample{path: "/api/v1/validate", body: map[string]string{"yaml": sampleMachine}, status: 200}),
		"POST /api/v1/process": fixedFor(v, sample{path: "/api/v1/process",
			body: map[string]string{"yaml": sampleMachine, "current_state": "idle", "trigger": "go"}, status: 200}),
		"POST /api/v1/render": fixedFor(v, sample{path: "/api/v1/render", body: map[string]string{"yaml": sampleMachine, "format": "mermaid"}, status: 200}),
		"POST /api/v1/edit": fixedFor(v, sample{path: "/api/v1/edit",
			body: map[string]any{"yaml": sampleMachine, "op": map[string]string{"kind": "add_state", "name": "extra"}}, status: 200}),
		"POST /api/v1/shares": {v, func(*actor) sample {
			return sample{path: "/api/v1/shares", body: map[string]string{"yaml": sampleMachine + "#" + uniq("")}, status: 201}
		}},
		"POST /api/v1/machines": {e, func(*actor) sample {
			return sample{path: "/api/v1/machines", body: map[string]string{"yaml": strings.Replace(sampleMachine, "sample", uniq("api_"), 1)}, status: 201}
		}},
		"PUT /api/v1/machines/:id": fixedFor(e, sample{path: "/api/v1/machines/" + m.ID,
			body: map[string]string{"yaml": strings.Replace(sampleMachine, "sample", m.Name, 1)}, status: 200}),
		"DELETE /api/v1/machines/:id": {e, func(*actor) sample { return sample{path: "/api/v1/machines/" + machine().ID, status: 204} }},
		"POST /api/v1/entities": {e, func(*actor) sample {
			return sample{path: "/api/v1/entities", body: map[string]string{"machine_id": m.ID, "id": uniq("ae-")}, status: 201}
		}},
		"POST /api/v1/entities/:id/create": {e, func(*actor) sample {
			return sample{path: "/api/v1/entities/" + uniq("ac-") + "/create", body: map[string]string{"machine_name": m.Name}, status: 201}
		}},
		"POST /api/v1/entities/:id/events": fixedFor(e, sample{path: "/api/v1/entities/" + entity.ID + "/events", body: map[string]string{"trigger": "go"}, status: 200}),
	}
}

// routeKeys are the routes the server registers, "METHOD /path".
func routeKeys(srv *web.Server) []string {
	var out []string
	for _, r := range srv.Routes() {
		if r[0] == echo.RouteNotFound {
			continue
		}
		out = append(out, r[0]+" "+r[1])
	}
	sort.Strings(out)
	return out
}

// TestEveryRouteHasAnAccessRule: every registered route has a line in the
// access table (a route without one is refused to all but admins), and
// every line is a registered route.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true})
	rules := web.AccessRules()
	served := map[string]bool{}
	for _, key := range routeKeys(ts.srv) {
		served[key] = true
		method, path, _ := strings.Cut(key, " ")
		if _, ok := rules[method][path]; !ok {
			t.Errorf("%s has no rule in accessRules (web/auth_routes.go): say which role may call it", key)
		}
	}
	for method, paths := range rules {
		for path := range paths {
			if !served[method+" "+path] {
				t.Errorf("accessRules has %s %s, which is not a route", method, path)
			}
		}
	}
}

// TestRoleMatrix calls every route as every role (and as nobody), with the
// session cookie for pages and the token for the API, and checks the
// answer: the route's own answer when the role may call it, 403 when it is
// too small, and for nobody 401 (API) or a redirect to the log-in page. The
// table is made from the routes the server registers, so a new route
// without a rule or a sample request fails here.
func TestRoleMatrix(t *testing.T) {
	ts := newTeamServer(t, nil, store.Options{NoScheduler: true})
	rules := web.AccessRules()
	build := samples(t, ts)
	who := []*actor{nil, ts.actors[store.RoleViewer], ts.actors[store.RoleEditor], ts.actors[store.RoleAdmin]}
	type row struct {
		name   string
		method string
		route  string
		caller *actor
		want   int
	}
	var table []row
	for _, key := range routeKeys(ts.srv) {
		method, path, _ := strings.Cut(key, " ")
		need, ok := rules[method][path]
		if !ok {
			t.Errorf("%s: no access rule", key)
			continue
		}
		rs, ok := build[key]
		if !ok {
			t.Errorf("%s: no sample request in samples(): add one so that every role is tried on it", key)
			continue
		}
		if need != rs.need {
			t.Errorf("%s: the access table says %q, SPEC 12.2 (this test) says %q", key, need, rs.need)
		}
		api := strings.HasPrefix(path, "/api/")
		for _, a := range who {
			r := row{method: method, route: path, caller: a}
			switch {
			case need == "":
				r.want = 0 // the sample's status
			case a == nil && api:
				r.want = http.StatusUnauthorized
			case a == nil:
				r.want = http.StatusSeeOther
			case !a.role.Allows(need):
				r.want = http.StatusForbidden
			}
			name := "nobody"
			if a != nil {
				name = string(a.role)
			}
			r.name = key + " as " + name
			table = append(table, r)
		}
	}
	for _, tc := range table {
		t.Run(tc.name, func(t *testing.T) {
			s := build[tc.method+" "+tc.route].build(tc.caller)
			headers := map[string]string{}
			api := strings.HasPrefix(tc.route, "/api/")
			if !api {
				headers["Accept"] = "text/html"
			}
			if tc.caller != nil {
				if api || tc.route == "/metrics" {
					headers["Authorization"] = "Bearer " + tc.caller.token
				} else {
					cookie := tc.caller.cookie
					if s.cookie != "" {
						cookie = s.cookie
					}
					headers["Cookie"] = "stator_session=" + cookie
				}
			}
			r := sendAs(t, tc.method, ts.base+s.path, s.body, headers)
			want := tc.want
			if want == 0 {
				want = s.status
			}
			if r.status != want {
				t.Fatalf("%s %s: status %d, want %d; body: %.300s", tc.method, s.path, r.status, want, r.body)
			}
			switch want {
			case http.StatusUnauthorized:
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") || r.header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("401 without WWW-Authenticate: Bearer or problem+json: %v", r.header)
				}
			case http.StatusSeeOther:
				if tc.want != 0 && !strings.HasPrefix(r.header.Get("Location"), "/login?next=") {
					t.Fatalf("redirect to %q, want the log-in page", r.header.Get("Location"))
				}
			}
		})
	}
}
