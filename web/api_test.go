package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine/enginetest"
)

// TestConformanceOverHTTP runs the conformance suite through POST
// /api/v1/process and /api/v1/validate, sending the machine text as yaml.
func TestConformanceOverHTTP(t *testing.T) {
	base, _ := testServer(t)
	files, err := enginetest.Load("../engine/testdata/conformance")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			if f.Validate != nil {
				r := call(t, "POST", base+"/api/v1/validate", map[string]any{"yaml": f.Machine})
				wantStatus(t, r, 200)
				var v struct {
					Valid    bool                 `json:"valid"`
					Errors   []enginetest.Problem `json:"errors"`
					Warnings []enginetest.Problem `json:"warnings"`
				}
				if err := json.Unmarshal(r.body, &v); err != nil {
					t.Fatal(err)
				}
				if v.Valid != f.Validate.Valid {
					t.Errorf("valid = %v, want %v: %s", v.Valid, f.Validate.Valid, r.body)
				}
				all := append(v.Errors, v.Warnings...)
				for _, w := range append(f.Validate.Errors, f.Validate.Warnings...) {
					if !enginetest.FindProblem(w, all) {
						t.Errorf("missing problem %+v in %s", w, r.body)
					}
				}
			}
			for _, tc := range f.Cases {
				t.Run(tc.Name, func(t *testing.T) {
					req := map[string]any{"yaml": f.Machine, "current_state": tc.State, "trigger": tc.Trigger,
						"context": tc.Context, "payload": tc.Payload}
					if tc.GuardValues != nil {
						req["guard_values"] = tc.GuardValues
					}
					r := call(t, "POST", base+"/api/v1/process", req)
					wantStatus(t, r, 200)
					got, err := enginetest.View(r.body)
					if err != nil {
						t.Fatal(err)
					}
					if err := enginetest.Match(tc.Expect, got); err != nil {
						t.Errorf("%v\n%s", err, r.body)
					}
				})
			}
		})
	}
}

func TestMachinesAPI(t *testing.T) {
	base, _ := testServer(t)
	r := call(t, "GET", base+"/api/v1/machines", nil)
	wantStatus(t, r, 200)
	var list struct {
		Machines []struct {
			ID, Name string
		} `json:"machines"`
		Count int `json:"count"`
	}
	json.Unmarshal(r.body, &list)
	var names []string
	for _, m := range list.Machines {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "document_approval,order_management,trading_desk,traffic_light" || list.Count != 4 {
		t.Fatalf("seeded machines: %s (count %d)", got, list.Count)
	}

	text := "meta: {machine_name: door, version: '1'}\nstates:\n  - {name: closed, type: initial}\n  - {name: open}\ntransitions:\n  - {trigger: push, source: closed, dest: open}\n  - {trigger: pull, source: open, dest: closed}\n"
	r = call(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": text})
	wantStatus(t, r, 201)
	m := r.json(t)
	id := m["id"].(string)
	if r.header.Get("Location") != "/api/v1/machines/"+id || m["name"] != "door" || m["revision"] != 1.0 || m["strict_mode"] != true || m["yaml"] != text {
		t.Fatalf("created: %v %s", r.header, r.body)
	}
	if !strings.HasPrefix(string(mustRaw(t, m["config"])), `{"meta":{"machine_name":"door","version":"1"},"states":[`) {
		t.Errorf("config keeps the order of keys: %s", mustRaw(t, m["config"]))
	}
	wantStatus(t, call(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": text}), 409)

	// a config object is stored as YAML text and loads the same
	var cfg map[string]any
	json.Unmarshal(mustRaw(t, m["config"]), &cfg)
	cfg["meta"].(map[string]any)["version"] = "2"
	r = call(t, "POST", base+"/api/v1/machines", map[string]any{"config": cfg})
	wantStatus(t, r, 201)
	if y := r.json(t)["yaml"].(string); !strings.Contains(y, "machine_name: door") || strings.Contains(y, "{") {
		t.Errorf("config stored as block YAML: %q", y)
	}

	r = call(t, "PUT", base+"/api/v1/machines/"+id, map[string]any{"yaml": text + "  - {trigger: kick, source: closed, dest: open}\n"})
	wantStatus(t, r, 200)
	if r.json(t)["revision"] != 2.0 {
		t.Errorf("edit: %s", r.body)
	}
	r = call(t, "PUT", base+"/api/v1/machines/"+id, map[string]any{"yaml": "states: []"})
	wantStatus(t, r, 400)
	if p := r.json(t); p["title"] != "Invalid machine" || len(p["errors"].([]any)) == 0 {
		t.Errorf("invalid edit: %s", r.body)
	}

	wantStatus(t, call(t, "POST", base+"/api/v1/entities", map[string]any{"id": "d1", "machine_id": id}), 201)
	wantStatus(t, call(t, "DELETE", base+"/api/v1/machines/"+id, nil), 409)
	wantStatus(t, call(t, "DELETE", base+"/api/v1/machines/"+id+"?cascade=true", nil), 204)
	wantStatus(t, call(t, "GET", base+"/api/v1/machines/"+id, nil), 404)
	wantStatus(t, call(t, "GET", base+"/api/v1/entities/d1", nil), 404)
}

func mustRaw(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// json.Marshal of a decoded map sorts keys; re-read the raw member instead when order matters
	return b
}

func TestEntitiesAPI(t *testing.T) {
	base, _ := testServer(t)
	r := call(t, "POST", base+"/api/v1/entities/o-1/create", map[string]any{"machine_name": "order_management", "context": map[string]any{"order_qty": 100}})
	wantStatus(t, r, 201)
	e := r.json(t)
	if e["id"] != "o-1" || e["state"] != "pending_new" || len(e["timers"].([]any)) != 1 {
		t.Fatalf("created: %s", r.body)
	}
	wantStatus(t, call(t, "POST", base+"/api/v1/entities/o-1/create", map[string]any{"machine_name": "order_management"}), 409)

	send := func(trigger string, payload map[string]any, headers ...string) map[string]any {
		t.Helper()
		r := call(t, "POST", base+"/api/v1/entities/o-1/events", map[string]any{"trigger": trigger, "payload": payload}, headers...)
		wantStatus(t, r, 200)
		return r.json(t)
	}
	out := send("exchange_ack", nil, "Idempotency-Key", "ack-1")
	if out["result"].(map[string]any)["target_state"] != "open" || out["entity"].(map[string]any)["state"] != "open" {
		t.Fatalf("ack: %v", out)
	}
	again := call(t, "POST", base+"/api/v1/entities/o-1/events", map[string]any{"trigger": "exchange_ack"}, "Idempotency-Key", "ack-1")
	wantStatus(t, again, 200)
	if again.header.Get("Idempotent-Replayed") != "true" || again.json(t)["result"].(map[string]any)["success"] != true {
		t.Fatalf("replay: %v %s", again.header, again.body)
	}
	out = send("execution_report", map[string]any{"fill_qty": 50})
	if out["entity"].(map[string]any)["state"] != "partially_filled" {
		t.Fatalf("partial fill: %v", out)
	}
	out = send("cancel_request", map[string]any{"in_flight": true})
	res := out["result"].(map[string]any)
	if res["success"] != false || res["error"].(map[string]any)["code"] != "guard_rejected" {
		t.Fatalf("refused cancel: %v", res)
	}
	trace := res["guard_trace"].([]any)[0].(map[string]any)["guards"].([]any)[0].(map[string]any)
	if trace["guard"] != "is_cancellable" || trace["values"].(map[string]any)["in_flight"] != true {
		t.Errorf("guard trace explains the refusal: %v", trace)
	}

	r = call(t, "GET", base+"/api/v1/entities/o-1/history", nil)
	wantStatus(t, r, 200)
	var h struct {
		Events []struct {
			Seq            int     `json:"seq"`
			Trigger        string  `json:"trigger"`
			Success        bool    `json:"success"`
			IdempotencyKey *string `json:"idempotency_key"`
		} `json:"events"`
	}
	json.Unmarshal(r.body, &h)
	var got []string
	for _, ev := range h.Events {
		got = append(got, fmt.Sprintf("%d:%s:%v", ev.Seq, ev.Trigger, ev.Success))
	}
	if want := "1:__entity_created__:true 2:exchange_ack:true 3:execution_report:true 4:cancel_request:false"; strings.Join(got, " ") != want {
		t.Errorf("history %v, want %s", got, want)
	}
	if h.Events[1].IdempotencyKey == nil || *h.Events[1].IdempotencyKey != "ack-1" {
		t.Errorf("idempotency key recorded: %s", r.body)
	}

	var machineID string
	r = call(t, "GET", base+"/api/v1/entities/o-1", nil)
	wantStatus(t, r, 200)
	machineID = r.json(t)["machine_id"].(string)
	r = call(t, "GET", base+"/api/v1/machines/"+machineID+"/stats", nil)
	wantStatus(t, r, 200)
	if c := r.json(t)["counts"].(map[string]any); c["partially_filled"] != 1.0 {
		t.Errorf("stats: %s", r.body)
	}
	r = call(t, "GET", base+"/api/v1/entities?machine_id="+machineID+"&state=partially_filled", nil)
	wantStatus(t, r, 200)
	if r.json(t)["count"] != 1.0 {
		t.Errorf("filter by state: %s", r.body)
	}
	r = call(t, "GET", base+"/api/v1/entities?machine_id="+machineID+"&state=open", nil)
	if r.json(t)["count"] != 0.0 {
		t.Errorf("filter by another state: %s", r.body)
	}
}

// TestBadInput: every kind of bad input gets its 4xx as problem+json with a
// detail a person can act on, and never a 500.
func TestBadInput(t *testing.T) {
	base, _ := testServer(t)
	r := call(t, "POST", base+"/api/v1/entities", map[string]any{"id": "e1", "machine_name": "order_management"})
	wantStatus(t, r, 201)
	big := `{"yaml": "` + strings.Repeat("a", 1<<20) + `"}`
	deep := `{"trigger": "x", "payload": {"a": ` + strings.Repeat(`{"a": `, 40) + `1` + strings.Repeat(`}`, 40) + `}}`
	cases := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		detail             string
	}{
		{"malformed JSON", "POST", "/api/v1/process", `{"trigger": "x",`, nil, 400, "malformed JSON"},
		{"syntax error position", "POST", "/api/v1/process", "{\n  \"trigger\": x}", nil, 400, "line 2"},
		{"empty body", "POST", "/api/v1/validate", ``, nil, 400, "body is empty"},
		{"not an object", "POST", "/api/v1/validate", `[1, 2]`, nil, 400, "must be a JSON object"},
		{"unknown field", "POST", "/api/v1/entities/e1/events", `{"trigger": "x", "payloda": {}}`, nil, 400, `unknown field "payloda"`},
		{"wrong type", "POST", "/api/v1/entities/e1/events", `{"trigger": 5}`, nil, 400, `"trigger" must be a string`},
		{"wrong context type", "POST", "/api/v1/process", `{"yaml": "x", "trigger": "t", "context": [1]}`, nil, 400, `"context" must be an object`},
		{"missing trigger", "POST", "/api/v1/entities/e1/events", `{}`, nil, 400, "trigger is required"},
		{"unknown entity", "POST", "/api/v1/entities/nope/events", `{"trigger": "x"}`, nil, 404, `entity "nope"`},
		{"unknown machine", "GET", "/api/v1/machines/nope", nil, nil, 404, `machine "nope"`},
		{"unknown machine for entity", "POST", "/api/v1/entities", `{"machine_name": "nope"}`, nil, 404, `machine "nope"`},
		{"unknown machine id for process", "POST", "/api/v1/process", `{"machine_id": "nope", "trigger": "t"}`, nil, 404, `machine "nope"`},
		{"unknown route", "GET", "/api/v1/nothing", nil, nil, 404, "/docs"},
		{"wrong method", "DELETE", "/api/v1/process", nil, nil, 405, "not allowed"},
		{"oversized body", "POST", "/api/v1/validate", big, nil, 413, "1 MiB"},
		{"not JSON", "POST", "/api/v1/validate", "yaml: x", []string{"Content-Type", "text/plain"}, 415, "application/json"},
		{"invalid YAML", "POST", "/api/v1/machines", `{"yaml": "states: [\n"}`, nil, 400, "invalid YAML"},
		{"invalid machine", "POST", "/api/v1/process", `{"yaml": "states: []\ntransitions: []", "trigger": "t"}`, nil, 400, "at least one state"},
		{"yaml and config", "POST", "/api/v1/validate", `{"yaml": "a", "config": {}}`, nil, 400, "only one of"},
		{"config not an object", "POST", "/api/v1/validate", `{"config": "states"}`, nil, 400, "config must be a JSON object"},
		{"too deep", "POST", "/api/v1/entities/e1/events", deep, nil, 400, "nested"},
		{"bad entity id", "POST", "/api/v1/entities", `{"id": "a b/c", "machine_name": "order_management"}`, nil, 400, "entity id"},
		{"entity without machine", "POST", "/api/v1/entities", `{"id": "x"}`, nil, 400, "machine_id or machine_name"},
		{"bad limit", "GET", "/api/v1/entities?limit=abc", nil, nil, 400, "limit"},
		{"bad render format", "POST", "/api/v1/render", `{"yaml": "x", "format": "png"}`, nil, 400, "mermaid"},
		{"bad active state", "POST", "/api/v1/render", `{"machine_id": "x", "active_state": "zzz"}`, nil, 404, "machine"},
		{"share without yaml", "POST", "/api/v1/shares", `{}`, nil, 400, "yaml is required"},
		{"unknown share", "GET", "/api/v1/shares/nope", nil, nil, 404, "share"},
		{"trailing data", "POST", "/api/v1/validate", `{"yaml": "a"} {}`, nil, 400, "after the JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.body != nil {
				body = tc.body
			}
			r := call(t, tc.method, base+tc.path, body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			p := r.json(t)
			if p["status"] != float64(tc.status) || p["title"] == "" {
				t.Errorf("problem document %s", r.body)
			}
			if d, _ := p["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Errorf("detail %q does not say %q", d, tc.detail)
			}
			if strings.Contains(string(r.body), "goroutine") || strings.Contains(string(r.body), ".go:") {
				t.Errorf("a stack trace leaked: %s", r.body)
			}
		})
	}
}

// TestOpenAPICoversRoutes fails when a registered route is missing from the
// OpenAPI document.
func TestOpenAPICoversRoutes(t *testing.T) {
	base, _ := testServer(t)
	r := call(t, "GET", base+"/api/v1/openapi.json", nil)
	wantStatus(t, r, 200)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	for _, rt := range routes(t) {
		if !strings.HasPrefix(rt.path, "/api/") && rt.path != "/health" {
			continue
		}
		p := rt.path
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				p = strings.Replace(p, seg, "{"+seg[1:]+"}", 1)
			}
		}
		if _, ok := doc.Paths[p][strings.ToLower(rt.method)]; !ok {
			t.Errorf("%s %s is served but not in openapi.json", rt.method, p)
		}
	}
	page := call(t, "GET", base+"/docs", nil)
	wantStatus(t, page, 200)
	for p := range doc.Paths {
		if !strings.Contains(string(page.body), p) {
			t.Errorf("/docs does not show %s", p)
		}
	}
}

func TestHealth(t *testing.T) {
	base, _ := testServer(t)
	r := call(t, "GET", base+"/health", nil)
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["status"] != "ok" {
		t.Errorf("%s", r.body)
	}
}

func TestRender(t *testing.T) {
	base, _ := testServer(t)
	text, err := os.ReadFile("examples/trading_desk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := call(t, "POST", base+"/api/v1/render", map[string]any{"yaml": string(text), "active_state": "session:risk=normal,trading=scanning"})
	wantStatus(t, r, 200)
	out := r.json(t)
	if out["format"] != "mermaid" || !strings.HasPrefix(out["source"].(string), "stateDiagram-v2") {
		t.Errorf("mermaid: %s", r.body)
	}
	if len(out["highlight"].([]any)) < 3 {
		t.Errorf("highlight: %v", out["highlight"])
	}
	r = call(t, "POST", base+"/api/v1/render", map[string]any{"yaml": string(text), "format": "dot"})
	wantStatus(t, r, 200)
	if !strings.Contains(r.json(t)["source"].(string), "digraph") {
		t.Errorf("dot: %s", r.body)
	}
}
