package web_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// What every response carries (SPEC 12.1): a strict Content-Security-Policy
// (no inline scripts, no framing, nothing from other hosts), nosniff and
// Referrer-Policy; and pages that need nothing inline to work under it.

// csp parses a Content-Security-Policy into its directives.
func csp(header string) map[string][]string {
	out := map[string][]string{}
	for _, d := range strings.Split(header, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			out[strings.ToLower(f[0])] = f[1:]
		}
	}
	return out
}

// TestSecurityHeadersOnEveryResponse: pages, API answers, problems, static
// assets, 404s and the refusals of the middleware all carry the headers.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	html := []string{"Accept", "text/html"}
	tests := []struct {
		name string
		a    attack
		want int
	}{
		{"page", attack{method: "GET", path: "/"}, 200},
		{"workspace page", attack{method: "GET", path: "/machines/" + id}, 200},
		{"htmx fragment", attack{method: "GET", path: "/machines/" + id + "/entities", header: []string{"HX-Request", "true"}}, 200},
		{"API JSON", attack{method: "GET", path: "/api/v1/machines"}, 200},
		{"API problem", attack{method: "GET", path: "/api/v1/machines/nope"}, 404},
		{"API bad input", attack{method: "POST", path: "/api/v1/validate", body: "{", ctype: jsonType}, 400},
		{"static script", attack{method: "GET", path: "/static/js/page.js"}, 200},
		{"static style", attack{method: "GET", path: "/static/css/app.css"}, 200},
		{"static 404", attack{method: "GET", path: "/static/nope.js"}, 404},
		{"page 404", attack{method: "GET", path: "/nope", header: html}, 404},
		{"unknown entity page", attack{method: "GET", path: "/entities/nope", header: html}, 404},
		{"health", attack{method: "GET", path: "/health"}, 200},
		{"ready", attack{method: "GET", path: "/ready"}, 200},
		{"openapi", attack{method: "GET", path: "/api/v1/openapi.json"}, 200},
		{"wrong method", attack{method: "DELETE", path: "/api/v1/process"}, 405},
		{"cross-site refusal", attack{method: "POST", path: "/api/v1/entities/d1/events", body: `{"trigger": "push"}`, ctype: jsonType, header: []string{"Origin", evil}}, 403},
		{"forged Host", attack{method: "GET", path: "/", host: "evil.example", header: html}, 421},
		{"wrong media type", attack{method: "POST", path: "/api/v1/validate", body: "{}", ctype: "text/plain"}, 415},
		{"body too large", attack{method: "POST", path: "/api/v1/validate", body: strings.Repeat(" ", 1<<20+1), ctype: jsonType}, 413},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, tc.a)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.want, r.body)
			}
			h := r.header
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
			if got := h.Get("Referrer-Policy"); got != "same-origin" {
				t.Errorf("Referrer-Policy %q, want same-origin", got)
			}
			if h.Get("Content-Type") == "" {
				t.Errorf("no Content-Type: a browser would sniff it")
			}
			policy := h.Get("Content-Security-Policy")
			d := csp(policy)
			if got := strings.Join(d["frame-ancestors"], " "); got != "'none'" {
				t.Errorf("frame-ancestors %q, want 'none' (%s)", got, policy)
			}
			if got := strings.Join(d["script-src"], " "); got != "'self'" {
				t.Errorf("script-src %q, want only 'self' (%s)", got, policy)
			}
			if got := strings.Join(d["object-src"], " "); got != "'none'" {
				t.Errorf("object-src %q, want 'none'", got)
			}
			if len(d["default-src"]) == 0 {
				t.Errorf("no default-src: what is not listed is allowed (%s)", policy)
			}
			for name, sources := range d {
				for _, src := range sources {
					switch src {
					case "'self'", "'none'", "data:", "blob:":
					case "'unsafe-inline'":
						if name != "style-src" {
							t.Errorf("%s allows 'unsafe-inline'", name)
						}
					default:
						t.Errorf("%s allows %s: nothing may come from other hosts or run from strings", name, src)
					}
				}
			}
		})
	}
}

// pageScripts finds what a page would run without a script file of this
// server: inline scripts, event handler attributes (on*, hx-on*),
// javascript: URLs and scripts of other hosts.
func pageScripts(doc *html.Node) []string {
	var found []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				attrs[key] = a.Val
				switch {
				case strings.HasPrefix(key, "on"), strings.HasPrefix(key, "hx-on"), strings.HasPrefix(key, "data-hx-on"):
					found = append(found, "<"+n.Data+" "+key+"=...>")
				case key == "href" || key == "src" || key == "action" || key == "formaction":
					if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
						found = append(found, "<"+n.Data+" "+key+"=\"javascript:...\">")
					}
				}
			}
			if n.Data == "script" {
				var text strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					text.WriteString(c.Data)
				}
				src, hasSrc := attrs["src"]
				switch typ := strings.ToLower(attrs["type"]); {
				case hasSrc && (strings.HasPrefix(src, "//") || strings.Contains(src, "://")):
					found = append(found, "script from another host: "+src)
				case hasSrc:
				case typ == "application/json":
				case strings.TrimSpace(text.String()) != "":
					found = append(found, "inline script: "+strings.TrimSpace(text.String()))
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// TestPagesRunNoInlineCode: every page and fragment works under the CSP:
// scripts come from files of this server only, data blocks are JSON.
func TestPagesRunNoInlineCode(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	order := machineID(t, ts.url, "order_management")
	share := call(t, "POST", ts.url+"/api/v1/shares", map[string]any{"yaml": doorMachine,
		"trace": map[string]any{"context": map[string]any{}, "steps": []any{map[string]any{"kind": "event", "trigger": "push"}}, "at": 1}})
	wantStatus(t, share, 201)
	shareID := share.json(t)["id"].(string)
	wantStatus(t, call(t, "POST", ts.url+"/api/v1/entities", map[string]any{"id": "o-1", "machine_id": order}), 201)
	simulate := url.Values{"yaml": {doorMachine}, "op": {"event:push"}, "trace": {`{"context":{},"steps":[]}`}}.Encode()
	tests := []struct {
		name string
		a    attack
	}{
		{"machines", attack{method: "GET", path: "/"}},
		{"machines with an error", attack{method: "GET", path: "/?error=" + url.QueryEscape(`<script>alert(1)</script><img src=x onerror=alert(1)>`)}},
		{"workspace", attack{method: "GET", path: "/machines/" + id}},
		{"workspace with timers", attack{method: "GET", path: "/machines/" + order}},
		{"share", attack{method: "GET", path: "/s/" + shareID}},
		{"draft", attack{method: "GET", path: "/draft"}},
		{"entity", attack{method: "GET", path: "/entities/d1"}},
		{"entity with timers", attack{method: "GET", path: "/entities/o-1"}},
		{"docs", attack{method: "GET", path: "/docs"}},
		{"error page", attack{method: "GET", path: "/machines/nope", header: []string{"Accept", "text/html"}}},
		{"entities panel", attack{method: "GET", path: "/machines/" + id + "/entities", header: []string{"HX-Request", "true"}}},
		{"analysis fragment", attack{method: "POST", path: "/workspace/analyze", body: url.Values{"yaml": {doorMachine}}.Encode(), ctype: formType}},
		{"simulator fragment", attack{method: "POST", path: "/workspace/simulate", body: simulate, ctype: formType}},
		{"share fragment", attack{method: "POST", path: "/workspace/share", body: url.Values{"yaml": {doorMachine}}.Encode(), ctype: formType}},
		{"send fragment", attack{method: "POST", path: "/entities/d1/send", body: "op=event%3Apush", ctype: formType}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, ts.url, tc.a)
			if r.status >= 500 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
				t.Fatalf("Content-Type %q, want a page", r.header.Get("Content-Type"))
			}
			doc, err := html.Parse(bytes.NewReader(r.body))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range pageScripts(doc) {
				t.Errorf("%.200s", s)
			}
		})
	}
}

// TestPageScriptsNeedNoEval: the page scripts do not build code from
// strings or inline handlers, which the CSP would block.
func TestPageScriptsNeedNoEval(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	for _, f := range []string{"page.js", "workspace.js", "simulator.js", "entity.js", "diagram.js", "confirm.js"} {
		r := send(t, ts.url, attack{method: "GET", path: "/static/js/" + f})
		wantStatus(t, r, 200)
		src := string(r.body)
		for _, bad := range []string{"eval(", "new Function(", "setAttribute('on", `setAttribute("on`, "hx-on"} {
			if strings.Contains(src, bad) {
				t.Errorf("%s uses %s", f, bad)
			}
		}
	}
}
