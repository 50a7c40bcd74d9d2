package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// Work per request is bounded (SPEC 11): what exists today. A JSON value
// nested deeper than 32 levels is refused on every way in (contexts,
// payloads, simulation traces; the attack: the simulator form took a trace
// 9,000 levels deep where the API stopped at 32). The guard evaluation
// budget and the simulator's bounds get their tests with their code.

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
