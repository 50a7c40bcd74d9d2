package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

const lampV1 = "meta: {machine_name: lamp, version: \"1\"}\nstates:\n  - {name: off, type: initial}\n  - {name: on}\ntransitions:\n  - {trigger: toggle, source: off, dest: on}\n  - {trigger: toggle, source: on, dest: off}\n"

// apiJSON sends a JSON request to the server and decodes the answer.
func apiJSON(t *testing.T, method, url string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, b)
	}
	if len(b) > 0 {
		json.Unmarshal(b, &out)
	}
	return out
}

// TestSaveConflictInBrowser: two people edit one machine; A saves, then B's
// save (based on the old revision) shows the conflict dialog instead of
// overwriting A's work, and each of the dialog's choices does what it says.
func TestSaveConflictInBrowser(t *testing.T) {
	base := startServer(t, noScheduler)
	id := apiJSON(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": lampV1})["id"].(string)
	ctx := newBrowser(t)
	sh := newShots(t)
	a := openTab(t, ctx, base, sh, true)
	b := openTab(t, ctx, base, sh, true)
	for _, p := range []*tab{a, b} {
		p.open("/machines/" + id)
		p.waitWorkspace()
	}
	theirs := strings.Replace(lampV1, "{name: on}", "{name: on, description: \"A's\"}", 1)
	a.setEditorText(theirs)
	a.click("save")
	a.wait("A's save", `document.getElementById("save-status").textContent.indexOf("Saved revision 2") >= 0`)

	mine := strings.Replace(lampV1, "{name: off, type: initial}", "{name: off, type: initial, description: \"B's\"}", 1)
	b.setEditorText(mine)
	b.click("save")
	b.wait("the conflict dialog", `document.querySelector("[data-testid=conflict-dialog]") && document.querySelector("[data-testid=conflict-dialog]").open`)
	b.shot("conflict-dialog")
	if got := apiJSON(t, "GET", base+"/api/v1/machines/"+id, nil); got["revision"] != 2.0 || got["yaml"] != theirs {
		t.Fatalf("B's refused save wrote something: revision %v", got["revision"])
	}
	diffText := eval[string](b, `document.querySelector("[data-testid=conflict-dialog] .text-diff").textContent`)
	if !strings.Contains(diffText, "A's") || !strings.Contains(diffText, "B's") {
		t.Errorf("the dialog's diff does not show both edits: %q", diffText)
	}

	// keep editing: the dialog closes, B's text stays
	b.click("conflict-keep")
	b.wait("the dialog to close", `!document.querySelector("dialog[data-testid=conflict-dialog][open]")`)
	if b.editorText() != mine {
		t.Fatal("keep editing changed the text")
	}

	// save mine over theirs: revision 3 holds B's text
	b.click("save")
	b.wait("the conflict dialog again", `document.querySelector("[data-testid=conflict-dialog]") && document.querySelector("[data-testid=conflict-dialog]").open`)
	b.click("conflict-overwrite")
	b.wait("the save over theirs", `document.getElementById("save-status").textContent.indexOf("Saved revision 3") >= 0`)
	if got := apiJSON(t, "GET", base+"/api/v1/machines/"+id, nil); got["revision"] != 3.0 || got["yaml"] != mine {
		t.Fatalf("after save over theirs: revision %v", got["revision"])
	}

	// A (on revision 2) edits and saves: conflict; reload theirs keeps A's text to copy
	aText := theirs + "# A again\n"
	a.setEditorText(aText)
	a.click("save")
	a.wait("A's conflict dialog", `document.querySelector("[data-testid=conflict-dialog]") && document.querySelector("[data-testid=conflict-dialog]").open`)
	a.clickAndLoad("reload theirs", tid("conflict-reload"))
	a.waitWorkspace()
	if a.editorText() != mine {
		t.Fatalf("after reload theirs the editor holds %q, want the head's text", a.editorText())
	}
	a.wait("the kept text", `!!document.querySelector("[data-testid=kept-text]")`)
	eval[bool](a, `(document.querySelector("[data-kept=show]").click(), true)`)
	a.wait("my version", `document.querySelector("[data-testid=kept-dialog] textarea") && document.querySelector("[data-testid=kept-dialog] textarea").value.indexOf("# A again") >= 0`)
	a.shot("kept-text")
	a.noErrors()
	b.noErrors()
}

// TestRevisionsPanelInBrowser: the panel lists every revision, shows an old
// one read-only, compares it with the head and restores it.
func TestRevisionsPanelInBrowser(t *testing.T) {
	base := startServer(t, noScheduler)
	id := apiJSON(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": lampV1})["id"].(string)
	v2 := strings.Replace(lampV1, "  - {name: on}\n", "  - {name: on}\n  - {name: broken, type: terminal}\n", 1) + "  - {trigger: smash, source: [off, on], dest: broken}\n"
	apiJSON(t, "PUT", base+"/api/v1/machines/"+id, map[string]any{"yaml": v2})
	ctx := newBrowser(t)
	p := openTab(t, ctx, base, newShots(t), false)
	p.open("/machines/" + id)
	p.waitWorkspace()
	p.click("revisions")
	p.wait("the revisions", `document.querySelectorAll("[data-testid=revision-row]").length === 2`)
	if got := eval[string](p, `document.querySelector("[data-testid=revision-row][data-revision='2'] .summary").textContent`); !strings.Contains(got, "added") {
		t.Errorf("revision 2's summary %q", got)
	}
	// compare revision 1 with the head: the changes and the diagram
	eval[bool](p, `(document.querySelector("[data-testid=revision-row][data-revision='1'] [data-testid=compare-revision]").click(), true)`)
	p.wait("the comparison", `document.querySelectorAll("[data-testid=change]").length > 0 && Number(document.querySelector("[data-testid=compare-diagram]").dataset.rendered) >= 1`)
	kinds := eval[[]string](p, `Array.from(document.querySelectorAll("[data-testid=change]")).map(function (c) { return c.dataset.kind; })`)
	if !strings.Contains(strings.Join(kinds, ","), "state_added") {
		t.Errorf("change kinds %v, want state_added", kinds)
	}
	p.wait("the added state coloured", `!!document.querySelector("[data-testid=compare-diagram] .change-added")`)
	p.shot("compare")
	// view revision 1 read-only
	p.open("/machines/" + id + "?revision=1")
	p.waitWorkspace()
	if p.editorText() != lampV1 || !eval[bool](p, `!!document.querySelector("[data-testid=revision-badge]")`) {
		t.Fatalf("viewing revision 1: badge %v", p.visible("revision-badge"))
	}
	// restore it from the panel: revision 3 has revision 1's text
	p.click("revisions")
	p.wait("the revisions", `document.querySelectorAll("[data-testid=revision-row]").length === 2`)
	p.clickAndLoad("restore revision 1", `[data-testid=revision-row][data-revision='1'] [data-testid=restore-revision]`)
	p.waitWorkspace()
	if got := eval[string](p, `location.search + " " + document.getElementById("ws-rev").textContent`); got != " rev 3" {
		t.Errorf("after restore the page shows %q, want the head, rev 3", got)
	}
	if got := apiJSON(t, "GET", base+"/api/v1/machines/"+id, nil); got["revision"] != 3.0 || got["yaml"] != lampV1 {
		t.Fatalf("after restore: revision %v", got["revision"])
	}
	p.noErrors()
}

// TestMigrationInBrowser: a dry run with a state mapping, then the move;
// the entity counts on the diagram follow.
func TestMigrationInBrowser(t *testing.T) {
	base := startServer(t, noScheduler)
	id := apiJSON(t, "POST", base+"/api/v1/machines", map[string]any{"yaml": lampV1})["id"].(string)
	for _, e := range []string{"l1", "l2", "l3"} {
		createEntity(t, base, e, "lamp", "toggle")
	}
	createEntity(t, base, "l4", "lamp")
	v2 := strings.NewReplacer("{name: on}", "{name: lit}", "dest: on}", "dest: lit}", "source: on,", "source: lit,").Replace(lampV1)
	apiJSON(t, "PUT", base+"/api/v1/machines/"+id, map[string]any{"yaml": v2})
	ctx := newBrowser(t)
	p := openTab(t, ctx, base, newShots(t), false)
	p.open("/machines/" + id + "/migrate")
	p.wait("the migration page", `!!document.querySelector("[data-testid=migrate-page]")`)
	p.click("migrate-dry-run")
	p.wait("the dry run", `!!document.querySelector("[data-testid=migrate-result][data-dry-run=true]")`)
	if got := eval[string](p, `document.querySelector("[data-testid=migrate-result]").dataset.blocked`); got != "3" {
		t.Fatalf("blocked %s, want 3 (on is gone)", got)
	}
	eval[bool](p, `(function () { var s = document.querySelector("[data-testid=map-on]"); s.value = "lit"; return true; })()`)
	p.click("migrate-dry-run")
	p.wait("the dry run with the mapping", `document.querySelector("[data-testid=migrate-result]").dataset.blocked === "0" && document.querySelector("[data-testid=migrate-result]").dataset.moved === "4"`)
	p.shot("dry-run")
	p.click("migrate-apply")
	p.wait("the move", `!!document.querySelector("[data-testid=migrate-result][data-dry-run=false]")`)
	if got := apiJSON(t, "GET", base+"/api/v1/entities/l1", nil); got["revision"] != 2.0 || got["state"] != "lit" {
		t.Fatalf("l1 after the move: %v", got)
	}
	// the machine's entities panel counts lit now
	p.open("/machines/" + id)
	p.waitWorkspace()
	p.click("tab-entities")
	p.wait("the entity counts", `!!document.querySelector("[data-testid=entity-count][data-state=lit]")`)
	if got := eval[string](p, `document.querySelector("[data-testid=entity-count][data-state=lit]").textContent.trim()`); got != "3" {
		t.Errorf("lit counts %s, want 3", got)
	}
	p.noErrors()
}
