package web_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/statorhq/stator/web"
)

// Attacks from other sites (SPEC 12.1, issue 11): a page on another origin
// posting the UI's forms or calling the JSON API, DNS rebinding through a
// forged Host, and share links built on a forged host.

const doorMachine = "meta: {machine_name: door, version: '1'}\nstates:\n  - {name: closed, type: initial}\n  - {name: open}\ntransitions:\n  - {trigger: push, source: closed, dest: open}\n  - {trigger: pull, source: open, dest: closed}\n"

// seedDoor stores the door machine with one entity, d1, as a local client
// (no Origin) would, and returns the machine's id.
func seedDoor(t *testing.T, base string) string {
	t.Helper()
	r := call(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": doorMachine})
	wantStatus(t, r, 201)
	id := r.json(t)["id"].(string)
	wantStatus(t, call(t, "POST", base+"/api/v1/entities", map[string]any{"id": "d1", "machine_id": id}), 201)
	return id
}

func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
	evil     = "https://evil.example"
)

// TestCrossSiteRequestsChangeNothing: every state-changing request a page on
// another site can make (a form post, a fetch without preflight, a JSON
// fetch) is refused before it acts, and nothing stored changes.
func TestCrossSiteRequestsChangeNothing(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	edited := doorMachine + "  - {trigger: kick, source: closed, dest: open}\n"
	tests := []struct {
		name string
		a    attack
		want int
	}{
		// the UI's forms, posted by another site's page
		{"form delete, browser headers", attack{method: "POST", path: "/machines/" + id + "/delete", body: "cascade=true", ctype: formType,
			header: []string{"Origin", evil, "Sec-Fetch-Site", "cross-site"}}, 403},
		{"form delete, Origin only", attack{method: "POST", path: "/machines/" + id + "/delete", body: "cascade=true", ctype: formType,
			header: []string{"Origin", evil}}, 403},
		{"form delete, Sec-Fetch-Site only", attack{method: "POST", path: "/machines/" + id + "/delete", body: "cascade=true", ctype: formType,
			header: []string{"Sec-Fetch-Site", "cross-site"}}, 403},
		{"form delete from a sandboxed frame (Origin null)", attack{method: "POST", path: "/machines/" + id + "/delete", body: "cascade=true", ctype: formType,
			header: []string{"Origin", "null"}}, 403},
		{"form delete, look-alike origin", attack{method: "POST", path: "/machines/" + id + "/delete", body: "cascade=true", ctype: formType,
			header: []string{"Origin", "http://127.0.0.1.evil.example"}}, 403},
		{"form save of a new revision", attack{method: "POST", path: "/machines/" + id + "/save", body: url.Values{"yaml": {edited}}.Encode(), ctype: formType,
			header: []string{"Origin", evil}}, 403},
		{"form fork", attack{method: "POST", path: "/machines/" + id + "/fork", body: "", ctype: formType, header: []string{"Origin", evil}}, 403},
		{"form new machine", attack{method: "POST", path: "/machines", body: "template=blank", ctype: formType, header: []string{"Origin", evil}}, 403},
		{"form create entity", attack{method: "POST", path: "/machines/" + id + "/entities", body: "id=d2", ctype: formType, header: []string{"Origin", evil}}, 403},
		{"form send event", attack{method: "POST", path: "/entities/d1/send", body: "op=event%3Apush", ctype: formType, header: []string{"Origin", evil}}, 403},
		{"form share", attack{method: "POST", path: "/workspace/share", body: url.Values{"yaml": {doorMachine}}.Encode(), ctype: formType,
			header: []string{"Origin", evil}}, 403},
		// the JSON API, called by another site's script
		{"API create machine", attack{method: "POST", path: "/api/v1/machines", body: jsonBody(map[string]any{"yaml": strings.Replace(doorMachine, "door", "evil", 1)}),
			ctype: jsonType, header: []string{"Origin", evil}}, 403},
		{"API update machine", attack{method: "PUT", path: "/api/v1/machines/" + id, body: jsonBody(map[string]any{"yaml": edited}), ctype: jsonType,
			header: []string{"Origin", evil}}, 403},
		{"API delete machine", attack{method: "DELETE", path: "/api/v1/machines/" + id + "?cascade=true", header: []string{"Origin", evil}}, 403},
		{"API create entity", attack{method: "POST", path: "/api/v1/entities", body: jsonBody(map[string]any{"id": "d3", "machine_id": id}), ctype: jsonType,
			header: []string{"Origin", evil}}, 403},
		{"API send event", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "push"}`, ctype: jsonType,
			header: []string{"Origin", evil}}, 403},
		{"API send event, Sec-Fetch-Site", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "push"}`, ctype: jsonType,
			header: []string{"Sec-Fetch-Site", "cross-site"}}, 403},
		{"API share", attack{method: "POST", path: "/api/v1/shares", body: jsonBody(map[string]any{"yaml": doorMachine}), ctype: jsonType,
			header: []string{"Origin", evil}}, 403},
		// bodies a cross-site fetch sends without a CORS preflight
		{"API event without Content-Type", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "push"}`}, 415},
		{"API event as text/plain", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "push"}`, ctype: "text/plain;charset=UTF-8"}, 415},
		{"API machine as a form", attack{method: "POST", path: "/api/v1/machines", body: url.Values{"yaml": {doorMachine}}.Encode(), ctype: formType}, 415},
		{"API machine as multipart", attack{method: "POST", path: "/api/v1/machines", body: "--x\r\n\r\n--x--", ctype: "multipart/form-data; boundary=x"}, 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := dbDigest(t, ts.path)
			r := send(t, ts.url, tc.a)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if got := dbDigest(t, ts.path); got != before {
				t.Errorf("the refused request changed what is stored")
			}
		})
	}
	// the machine, its revision and its entity are as they were
	m := call(t, "GET", ts.url+"/api/v1/machines/"+id, nil)
	wantStatus(t, m, 200)
	if got := m.json(t)["revision"]; got != 1.0 {
		t.Errorf("revision %v, want 1", got)
	}
	e := call(t, "GET", ts.url+"/api/v1/entities/d1", nil)
	wantStatus(t, e, 200)
	if got := e.json(t)["state"]; got != "closed" {
		t.Errorf("d1 is %v, want closed", got)
	}
}

// TestSameSiteAndAPIClientsStillWork: the server's own pages (same Origin)
// and clients that send no Origin (curl, SDKs) are not affected.
func TestSameSiteAndAPIClientsStillWork(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	tests := []struct {
		name string
		a    attack
		want int
	}{
		{"API event, no Origin (curl)", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "push"}`, ctype: jsonType}, 200},
		{"API event, own Origin", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "pull"}`, ctype: jsonType,
			header: []string{"Origin", ts.url, "Sec-Fetch-Site", "same-origin"}}, 200},
		{"API event, JSON with charset", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "push"}`, ctype: "application/json; charset=utf-8"}, 200},
		{"API validate, +json type", attack{method: "POST", path: "/api/v1/validate", body: jsonBody(map[string]any{"yaml": doorMachine}), ctype: "application/problem+json"}, 200},
		{"API event, typed URL (Sec-Fetch-Site none)", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "pull"}`, ctype: jsonType,
			header: []string{"Sec-Fetch-Site", "none"}}, 200},
		{"form send event, own Origin", attack{method: "POST", path: "/entities/d1/send", body: "op=event%3Apush", ctype: formType,
			header: []string{"Origin", ts.url, "Sec-Fetch-Site", "same-origin"}}, 200},
		{"form delete, own Origin", attack{method: "POST", path: "/machines/" + id + "/delete", body: "cascade=true", ctype: formType,
			header: []string{"Origin", ts.url}}, 303},
		{"a cross-site GET reads nothing it could not anyway", attack{method: "GET", path: "/api/v1/machines", header: []string{"Origin", evil, "Sec-Fetch-Site", "cross-site"}}, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, tc.a)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("Access-Control-Allow-Origin %q: other sites may read the answer", got)
			}
		})
	}
	wantStatus(t, call(t, "GET", ts.url+"/api/v1/machines/"+id, nil), 404)
}

var shareURLRe = regexp.MustCompile(`https?://[^"\s<]+/s/[a-z0-9]+`)

// TestHostAllowList: a Host the server does not answer to (DNS rebinding: a
// name the attacker points at 127.0.0.1) is refused with 421 before
// anything runs, and links are never built on an unchecked host.
func TestHostAllowList(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	u, _ := url.Parse(ts.url)
	port := u.Port()
	share := jsonBody(map[string]any{"yaml": doorMachine})
	tests := []struct {
		name   string
		host   string
		header []string
		want   int
		link   string // the prefix of the share link, when answered
	}{
		{"rebound name", "evil.example", nil, 421, ""},
		{"rebound name with the port", "evil.example:" + port, nil, 421, ""},
		{"look-alike of the address", "127.0.0.1.evil.example:" + port, nil, 421, ""},
		{"localhost with a trailing dot", "localhost.:" + port, nil, 421, ""},
		{"the address", "127.0.0.1:" + port, nil, 201, "http://127.0.0.1:" + port + "/s/"},
		{"localhost", "localhost:" + port, nil, 201, "http://localhost:" + port + "/s/"},
		{"localhost in capitals", "LOCALHOST:" + port, nil, 201, "http://LOCALHOST:" + port + "/s/"},
		{"IPv6 loopback", "[::1]:" + port, nil, 201, "http://[::1]:" + port + "/s/"},
		{"forwarded host and scheme are not believed", "127.0.0.1:" + port, []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https"}, 201,
			"http://127.0.0.1:" + port + "/s/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := dbDigest(t, ts.path)
			for _, path := range []string{"/", "/api/v1/machines"} {
				r := send(t, ts.url, attack{method: "GET", path: path, host: tc.host, header: tc.header})
				want := 200
				if tc.want == 421 {
					want = 421
				}
				if r.status != want {
					t.Errorf("GET %s: status %d, want %d", path, r.status, want)
				}
			}
			r := send(t, ts.url, attack{method: "POST", path: "/api/v1/shares", body: share, ctype: jsonType, host: tc.host, header: tc.header})
			if r.status != tc.want {
				t.Fatalf("share: status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if strings.Contains(string(r.body), "evil") && tc.want != 421 {
				t.Errorf("the answer echoes a forged host: %s", r.body)
			}
			if tc.want == 421 {
				if got := dbDigest(t, ts.path); got != before {
					t.Errorf("a request for another host changed what is stored")
				}
				return
			}
			if link := r.json(t)["url"].(string); !strings.HasPrefix(link, tc.link) {
				t.Errorf("share link %q, want it to start with %q", link, tc.link)
			}
			// the page's share panel builds the same link
			form := send(t, ts.url, attack{method: "POST", path: "/workspace/share", body: url.Values{"yaml": {doorMachine}}.Encode(), ctype: formType,
				host: tc.host, header: tc.header})
			wantStatus(t, form, 200)
			for _, link := range shareURLRe.FindAllString(string(form.body), -1) {
				if !strings.HasPrefix(link, tc.link) {
					t.Errorf("share panel link %q, want it to start with %q", link, tc.link)
				}
			}
		})
	}
}

// TestPublicURL: with --public-url, links use it whatever the request's
// Host, and its host is answered to.
func TestPublicURL(t *testing.T) {
	const public = "https://stator.example.com"
	ts := startTestServer(t, serverOptions{config: web.Config{PublicURL: public}})
	share := jsonBody(map[string]any{"yaml": doorMachine})
	for _, host := range []string{"", "stator.example.com", "localhost"} {
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/shares", body: share, ctype: jsonType, host: host,
			header: []string{"Origin", public}})
		wantStatus(t, r, 201)
		if link := r.json(t)["url"].(string); !strings.HasPrefix(link, public+"/s/") {
			t.Errorf("Host %q: share link %q, want it on %s", host, link, public)
		}
	}
	form := send(t, ts.url, attack{method: "POST", path: "/workspace/share", body: url.Values{"yaml": {doorMachine}}.Encode(), ctype: formType})
	wantStatus(t, form, 200)
	links := shareURLRe.FindAllString(string(form.body), -1)
	if len(links) == 0 {
		t.Fatalf("no share link in the panel: %s", form.body)
	}
	for _, link := range links {
		if !strings.HasPrefix(link, public+"/s/") {
			t.Errorf("share panel link %q, want it on %s", link, public)
		}
	}
	wantStatus(t, send(t, ts.url, attack{method: "GET", path: "/", host: "evil.example"}), 421)
	// the public URL says which scheme the users' pages have: a page on the
	// same name over plain http (a network attacker's) is another origin
	for _, host := range []string{"", "stator.example.com"} {
		before := dbDigest(t, ts.path)
		r := send(t, ts.url, attack{method: "POST", path: "/api/v1/shares", body: jsonBody(map[string]any{"yaml": doorMachine + "# http\n"}), ctype: jsonType,
			host: host, header: []string{"Origin", "http://stator.example.com"}})
		if r.status != 403 {
			t.Errorf("Host %q, Origin http://stator.example.com: status %d, want 403: %s", host, r.status, r.body)
		}
		if dbDigest(t, ts.path) != before {
			t.Errorf("Host %q: the refused share was stored", host)
		}
	}
}
