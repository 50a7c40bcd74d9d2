package web_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

const lightV1 = `meta: {machine_name: lamp, version: "1"}
state_variables: [{key: watts, type: number}]
states:
  - {name: off, type: initial}
  - {name: on, timeout: {seconds: 3600, destination: off}}
  - {name: broken, type: terminal}
transitions:
  - {trigger: toggle, source: off, dest: on}
  - {trigger: toggle, source: on, dest: off}
  - {trigger: smash, source: [off, on], dest: broken}
`

// lightV2 renames on to lit, adds dim, and makes watts required.
const lightV2 = `meta: {machine_name: lamp, version: "1"}
state_variables: [{key: watts, type: number, required: true}]
states:
  - {name: off, type: initial}
  - {name: lit, timeout: {seconds: 60, destination: off}}
  - {name: dim}
  - {name: broken, type: terminal}
transitions:
  - {trigger: toggle, source: off, dest: lit}
  - {trigger: toggle, source: [lit, dim], dest: off}
  - {trigger: lower, source: lit, dest: dim}
  - {trigger: smash, source: [off, lit, dim], dest: broken}
`

func TestRevisionsAPI(t *testing.T) {
	base, _ := testServer(t)
	r := call(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": lightV1})
	wantStatus(t, r, 201)
	id := r.json(t)["id"].(string)
	mURL := base + "/api/v1/machines/" + id

	// a save based on revision 1 lands; a second one based on 1 is refused
	wantStatus(t, call(t, "PUT", mURL, map[string]any{"yaml": lightV2, "base_revision": 1}), 200)
	r = call(t, "PUT", mURL, map[string]any{"yaml": lightV1 + "# mine\n", "base_revision": 1})
	wantStatus(t, r, 409)
	if p := r.json(t); p["head_revision"] != 2.0 || p["code"] != "revision_conflict" {
		t.Fatalf("conflict: %s", r.body)
	}
	r = call(t, "PUT", mURL, map[string]any{"yaml": lightV1 + "# mine\n"}, "If-Match", `"1"`)
	wantStatus(t, r, 409)
	if got := call(t, "GET", mURL, nil).json(t)["revision"]; got != 2.0 {
		t.Fatalf("head %v after refused saves, want 2", got)
	}

	// list, newest first, with summaries
	r = call(t, "GET", mURL+"/revisions", nil)
	wantStatus(t, r, 200)
	revs := r.json(t)["revisions"].([]any)
	if len(revs) != 2 {
		t.Fatalf("revisions: %s", r.body)
	}
	first := revs[0].(map[string]any)
	if first["revision"] != 2.0 || !strings.Contains(first["summary"].(string), "added") {
		t.Errorf("newest revision %v", first)
	}
	// a revision as it was
	r = call(t, "GET", mURL+"/revisions/1", nil)
	wantStatus(t, r, 200)
	if r.json(t)["yaml"] != lightV1 || r.json(t)["revision"] != 1.0 {
		t.Fatalf("revision 1: %s", r.body)
	}
	wantStatus(t, call(t, "GET", mURL+"/revisions/9", nil), 404)
	wantStatus(t, call(t, "GET", mURL+"/revisions/x", nil), 400)

	// diffs
	r = call(t, "GET", mURL+"/diff?from=1&to=2", nil)
	wantStatus(t, r, 200)
	d := r.json(t)
	kinds := map[string]bool{}
	for _, c := range d["changes"].([]any) {
		kinds[c.(map[string]any)["kind"].(string)] = true
	}
	for _, k := range []string{"state_added", "state_removed", "transition_added", "variables_changed"} {
		if !kinds[k] {
			t.Errorf("diff 1→2 has no %s: %s", k, r.body)
		}
	}
	if !strings.Contains(d["text_diff"].(string), "+  - {name: dim}") {
		t.Errorf("text diff: %s", d["text_diff"])
	}
	r = call(t, "GET", mURL+"/diff?from=2&to=2", nil)
	if d := r.json(t); len(d["changes"].([]any)) != 0 || d["text_diff"] != "" {
		t.Errorf("a revision with itself: %s", r.body)
	}
	wantStatus(t, call(t, "GET", mURL+"/diff?from=1&to=7", nil), 404)

	// restore
	wantStatus(t, call(t, "POST", mURL+"/revisions/2/restore", nil), 400)
	r = call(t, "POST", mURL+"/revisions/1/restore", map[string]any{"base_revision": 2})
	wantStatus(t, r, 200)
	if m := r.json(t); m["revision"] != 3.0 || m["yaml"] != lightV1 {
		t.Fatalf("restore: %s", r.body)
	}
	wantStatus(t, call(t, "POST", mURL+"/revisions/2/restore", map[string]any{"base_revision": 2}), 409)
}

func TestMigrateAPI(t *testing.T) {
	base, _ := testServer(t)
	r := call(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": lightV1})
	wantStatus(t, r, 201)
	id := r.json(t)["id"].(string)
	mURL := base + "/api/v1/machines/" + id
	// six entities on revision 1: three on, two off (one without watts), one broken
	for i := 0; i < 6; i++ {
		body := map[string]any{"id": fmt.Sprint("l", i), "machine_id": id, "context": map[string]any{"watts": 40}}
		if i == 5 {
			body["context"] = map[string]any{}
		}
		wantStatus(t, call(t, "POST", base+"/api/v1/entities", body), 201)
	}
	for _, e := range []string{"l0", "l1", "l2"} {
		wantStatus(t, call(t, "POST", base+"/api/v1/entities/"+e+"/events", map[string]any{"trigger": "toggle"}), 200)
	}
	wantStatus(t, call(t, "POST", base+"/api/v1/entities/l3/events", map[string]any{"trigger": "smash"}), 200)
	wantStatus(t, call(t, "PUT", mURL, map[string]any{"yaml": lightV2}), 200)

	// bad requests
	r = call(t, "POST", mURL+"/migrate", map[string]any{"to_revision": 2, "state_map": map[string]string{"on": "glowing"}, "dry_run": true})
	wantStatus(t, r, 400)
	if !strings.Contains(r.json(t)["detail"].(string), "glowing") {
		t.Errorf("a map to an unknown state: %s", r.body)
	}
	wantStatus(t, call(t, "POST", mURL+"/migrate", map[string]any{"to_revision": 9}), 404)
	wantStatus(t, call(t, "POST", mURL+"/migrate", map[string]any{}), 400)

	// dry run without a map: the "on" entities are blocked, l5 lacks watts
	r = call(t, "POST", mURL+"/migrate", map[string]any{"to_revision": 2, "dry_run": true})
	wantStatus(t, r, 200)
	res := r.json(t)
	if res["moved"] != 2.0 || res["blocked_total"] != 4.0 {
		t.Fatalf("dry run: %s", r.body)
	}
	// with the map: the on ones go to lit
	r = call(t, "POST", mURL+"/migrate", map[string]any{"to_revision": 2, "state_map": map[string]string{"on": "lit"}, "dry_run": true})
	res = r.json(t)
	if res["moved"] != 5.0 || res["by_state"].(map[string]any)["on"].(map[string]any)["lit"] != 3.0 {
		t.Fatalf("dry run with a map: %s", r.body)
	}
	if got := call(t, "GET", base+"/api/v1/entities/l0", nil).json(t)["revision"]; got != 1.0 {
		t.Fatalf("a dry run moved an entity (revision %v)", got)
	}

	// apply while events arrive for the same entities: none is lost
	var wg sync.WaitGroup
	events := make(chan int, 40)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			st := call(t, "POST", base+"/api/v1/entities/l4/events", map[string]any{"trigger": "toggle", "idempotency_key": fmt.Sprint("k", i)}).status
			events <- st
		}
	}()
	r = call(t, "POST", mURL+"/migrate", map[string]any{"to_revision": 2, "state_map": map[string]string{"on": "lit"}})
	wg.Wait()
	close(events)
	wantStatus(t, r, 200)
	for st := range events {
		if st != 200 {
			t.Errorf("an event during the migration answered %d", st)
		}
	}
	if m := r.json(t); m["moved"].(float64)+m["skipped"].(float64) < 4 || m["dry_run"] != false {
		t.Fatalf("migrate: %s", r.body)
	}
	e := call(t, "GET", base+"/api/v1/entities/l0", nil).json(t)
	if e["revision"] != 2.0 || e["state"] != "lit" || len(e["timers"].([]any)) != 1 {
		t.Fatalf("l0 after the migration: %v", e)
	}
	if tm := e["timers"].([]any)[0].(map[string]any); tm["after_ms"] != 60000.0 {
		t.Errorf("l0's timer was not re-armed from revision 2: %v", tm)
	}
	h := call(t, "GET", base+"/api/v1/entities/l0/history", nil).json(t)["events"].([]any)
	last := h[len(h)-1].(map[string]any)
	if last["trigger"] != "__migrated__" || last["source_state"] != "on" || last["target_state"] != "lit" ||
		last["payload"].(map[string]any)["to_revision"] != 2.0 {
		t.Errorf("the migration's history row: %v", last)
	}
	// l4 got all 21 rows (created + 20 events) plus its migration row
	h4 := call(t, "GET", base+"/api/v1/entities/l4/history?limit=1000", nil).json(t)["events"].([]any)
	if len(h4) != 22 {
		t.Errorf("l4 has %d history rows, want 22", len(h4))
	}
	// l5 stays, blocked
	if got := call(t, "GET", base+"/api/v1/entities/l5", nil).json(t)["revision"]; got != 1.0 {
		t.Errorf("l5 (no watts) moved to revision %v", got)
	}
	// a second migration has nothing left but the blocked
	r = call(t, "POST", mURL+"/migrate", map[string]any{"to_revision": 2, "state_map": map[string]string{"on": "lit"}})
	if m := r.json(t); m["moved"] != 0.0 || m["blocked_total"] != 1.0 {
		t.Errorf("second migration: %s", r.body)
	}
}
