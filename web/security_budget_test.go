package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// Work per request is bounded (SPEC 11). A JSON value nested deeper than 32
// levels is refused on every way in (contexts, payloads, simulation traces;
// the attack: the simulator form took a trace 9,000 levels deep where the
// API stopped at 32). Guard evaluation has a budget per guard and per
// process call, and guard_trace is cut (the engine's tests cover the
// budget's edges; these tests send the attacks to the server). The
// simulator's replay bounds are tested in web/handlers/pages and engine/sim.

// nested is a JSON object of depth d ({"a": {"a": ... 1}}); 0 is a number.
func nested(d int) string {
	return strings.Repeat(`{"a": `, d) + "1" + strings.Repeat("}", d)
}

// traceWith is a simulation trace whose one step carries a payload of depth d.
func traceWith(d int) string {
	return `{"context": {}, "steps": [{"kind": "event", "trigger": "push", "payload": {"p": ` + nested(d-1) + `}}], "at": 1}`
}

// TestDepthLimitOnEveryWayIn: 32 levels are taken, 33 are refused with a
// message that names the limit, 9,000 too, and nothing is stored.
func TestDepthLimitOnEveryWayIn(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	id := seedDoor(t, ts.url)
	api := func(path, body string) attack {
		return attack{method: "POST", path: path, ctype: jsonType, body: body}
	}
	form := func(path string, fields url.Values) attack {
		return attack{method: "POST", path: path, ctype: formType, body: fields.Encode()}
	}
	tests := []struct {
		name   string
		a      func(d int) attack
		stores bool // an accepted request stores something
	}{
		{"API entity context", func(d int) attack {
			return api("/api/v1/entities", `{"machine_id": "`+id+`", "context": {"c": `+nested(d-1)+`}}`)
		}, true},
		{"API entity context (pystator path)", func(d int) attack {
			return api("/api/v1/entities/p1/create", `{"machine_name": "door", "context": {"c": `+nested(d-1)+`}}`)
		}, true},
		{"API event payload", func(d int) attack {
			return api("/api/v1/entities/d1/events", `{"trigger": "push", "payload": {"p": `+nested(d-1)+`}}`)
		}, true},
		{"API process context", func(d int) attack {
			return api("/api/v1/process", `{"machine_id": "`+id+`", "trigger": "push", "context": {"c": `+nested(d-1)+`}}`)
		}, false},
		{"API process payload", func(d int) attack {
			return api("/api/v1/process", `{"machine_id": "`+id+`", "trigger": "push", "payload": {"p": `+nested(d-1)+`}}`)
		}, false},
		{"API share trace", func(d int) attack {
			return api("/api/v1/shares", `{"yaml": `+jsonBody(doorMachine)+`, "trace": `+traceWith(d)+`}`)
		}, true},
		{"page share trace", func(d int) attack {
			// another text than the API's share: the same content is one share
			return form("/workspace/share", url.Values{"yaml": {doorMachine + "# shared from the page\n"}, "trace": {traceWith(d)}})
		}, true},
		{"page entity context", func(d int) attack {
			return form("/machines/"+id+"/entities", url.Values{"context": {`{"c": ` + nested(d-1) + `}`}})
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// accepted at 32
			before := dbDigest(t, ts.path)
			r := send(t, ts.url, tc.a(32))
			if r.status >= 300 {
				t.Fatalf("depth 32: status %d: %.300s", r.status, r.body)
			}
			if changed := dbDigest(t, ts.path) != before; changed != tc.stores {
				t.Fatalf("depth 32: stored something: %v, want %v", changed, tc.stores)
			}
			// refused at 33 and at 9,000
			for _, d := range []int{33, 9000} {
				before := dbDigest(t, ts.path)
				r := send(t, ts.url, tc.a(d))
				if r.status >= 500 {
					t.Fatalf("depth %d: status %d: %.300s", d, r.status, r.body)
				}
				if !strings.Contains(string(r.body), "nested") || !strings.Contains(string(r.body), "32") {
					t.Errorf("depth %d: status %d, the answer does not name the limit: %.300s", d, r.status, r.body)
				}
				if max := 64<<10 + 4*len(tc.a(d).body); len(r.body) > max {
					t.Errorf("depth %d: the answer is %d bytes, want at most %d", d, len(r.body), max)
				}
				if dbDigest(t, ts.path) != before {
					t.Errorf("depth %d: the refused value was stored", d)
				}
			}
		})
	}
}

// TestSimulatorTraceDepth: the simulator form refuses a trace nested
// deeper than the API would take, before it replays it.
func TestSimulatorTraceDepth(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	for _, d := range []int{33, 9000} {
		r := send(t, ts.url, attack{method: "POST", path: "/workspace/simulate", ctype: formType,
			body: url.Values{"yaml": {doorMachine}, "op": {"refresh"}, "trace": {traceWith(d)}}.Encode()})
		if r.status >= 500 {
			t.Fatalf("depth %d: status %d: %.300s", d, r.status, r.body)
		}
		if !strings.Contains(string(r.body), "nested") {
			t.Fatalf("depth %d: the simulator took the trace: %.300s", d, r.body)
		}
	}
}

// concatAttack is the attack machine: n YAML aliases of one
// transition whose guard builds a string of 495 copies of the context's s.
func concatAttack(n int) string {
	terms := strings.TrimSuffix(strings.Repeat("s+", 495), "+")
	var b strings.Builder
	b.WriteString("meta: {machine_name: bomb}\nstates:\n  - {name: a, type: initial}\n  - {name: b}\ntransitions:\n")
	b.WriteString("  - &t {trigger: go, source: a, dest: b, guards: [{expr: \"len(" + terms + ") < 0\"}]}\n")
	for i := 1; i < n; i++ {
		b.WriteString("  - *t\n")
	}
	return b.String()
}

// TestGuardBudgetOverHTTP: the request that burned the CPU for hours (20,000
// aliased transitions, each guard concatenating a 20 KB string 495 times)
// is answered promptly with guard_budget_exceeded; an entity of such a
// machine is refused the same way while an event of another entity is
// answered; guard_trace stays small whatever the context.
func TestGuardBudgetOverHTTP(t *testing.T) {
	ts := startTestServer(t, serverOptions{})
	s20k := strings.Repeat("x", 20000)
	body := `{"yaml": ` + jsonBody(concatAttack(20000)) + `, "current_state": "a", "trigger": "go", "context": {"s": "` + s20k + `"}}`
	r := send(t, ts.url, attack{method: "POST", path: "/api/v1/process", ctype: jsonType, body: body})
	wantStatus(t, r, 200)
	res := r.json(t)
	if e, _ := res["error"].(map[string]any); e == nil || e["code"] != "guard_budget_exceeded" {
		t.Fatalf("20,000 expensive guards: %.400s", r.body)
	}
	if len(r.body) > 256<<10 {
		t.Errorf("the answer is %d bytes", len(r.body))
	}

	// an entity of the attack machine, and another entity beside it
	m := call(t, "POST", ts.url+"/api/v1/machines", map[string]any{"yaml": concatAttack(2000)})
	wantStatus(t, m, 201)
	wantStatus(t, call(t, "POST", ts.url+"/api/v1/entities", map[string]any{"id": "bomb", "machine_id": m.json(t)["id"], "context": map[string]any{"s": s20k}}), 201)
	seedDoor(t, ts.url)
	done := make(chan response, 1)
	go func() {
		done <- send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/bomb/events", ctype: jsonType, body: `{"trigger": "go"}`})
	}()
	wantStatus(t, send(t, ts.url, attack{method: "POST", path: "/api/v1/entities/d1/events", ctype: jsonType, body: `{"trigger": "push"}`}), 200)
	r = <-done
	wantStatus(t, r, 200)
	if e, _ := r.json(t)["result"].(map[string]any)["error"].(map[string]any); e == nil || e["code"] != "guard_budget_exceeded" {
		t.Fatalf("the attack entity's event: %.400s", r.body)
	}

	// an 800 KB context value and 400 aliased transitions: the trace is cut
	big := strings.Repeat("y", 800<<10)
	cheap := "meta: {machine_name: wide}\nstates:\n  - {name: a, type: initial}\n  - {name: b}\ntransitions:\n  - &t {trigger: go, source: a, dest: b, guards: [{expr: \"s == 'no'\"}]}\n" + strings.Repeat("  - *t\n", 399)
	r = send(t, ts.url, attack{method: "POST", path: "/api/v1/process", ctype: jsonType,
		body: `{"yaml": ` + jsonBody(cheap) + `, "current_state": "a", "trigger": "go", "context": {"s": "` + big + `"}}`})
	wantStatus(t, r, 200)
	if len(r.body) > 128<<10 {
		t.Errorf("guard_trace made a %d-byte answer from an 800 KB value", len(r.body))
	}
}
