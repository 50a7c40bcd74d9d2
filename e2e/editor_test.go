package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestEditorInBrowser is the editor's story: create a machine from a
// template, type a transition (the diagram gains the edge), type an unknown
// destination (a marker on that line, the problem listed, a click on it moves
// the cursor there), fix it (both gone), reload (the draft comes back), save
// with Ctrl+S and with the button (it appears in the list), export, and share
// (the short link and the draft link open the same machine in fresh
// browsers; "Fork to edit" makes an editable copy).
func TestEditorInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	sh := newShots(t)
	b1 := newBrowser(t)
	p := openTab(t, b1, base, sh, false)

	// the machines page lists the seeded examples
	p.open("/")
	p.wait("the machine list", tidJS("machine-list"))
	if got, want := p.machineRows(), []string{"document_approval", "order_management", "trading_desk", "traffic_light"}; !equalStrings(got, want) {
		t.Fatalf("machine rows %v, want %v", got, want)
	}
	p.shot("machines")

	// New machine → from the order_management template: an unsaved
	// workspace, renamed because the template's name is taken
	newFrom := func(template string) {
		t.Helper()
		p.click("new-machine")
		p.do("pick the "+template+" template", chromedp.Click(chromedp.CSS(`input[name=template][value=`+template+`]`)))
		p.clickAndLoad("start the new machine", tid("create-machine"))
		p.waitWorkspace()
	}
	newFrom("order_management")
	if got := eval[string](p, `location.pathname + location.search`); got != "/new?template=order_management" {
		t.Errorf("New opens %s, want /new?template=order_management", got)
	}
	if got := eval[string](p, `document.getElementById("ws-name").textContent + " | " + document.title`); got != "order_management_copy | ● order_management_copy · Stator" {
		t.Errorf("the new workspace's name and title: %q", got)
	}
	if !p.visible("unsaved") {
		t.Error("a new, never saved machine is not marked unsaved")
	}
	p.shot("new-machine")
	// abandoned: nothing was stored
	p.clickAndLoad("back to the machines", chromedp.CSS(`.crumbs a[href="/"]`))
	p.wait("the machine list", tidJS("machine-list"))
	if got, want := p.machineRows(), []string{"document_approval", "order_management", "trading_desk", "traffic_light"}; !equalStrings(got, want) {
		t.Fatalf("after an abandoned New, machine rows %v, want %v", got, want)
	}
	// again, saved this time: stored, and the page is now the machine's
	newFrom("order_management")
	p.clickAndLoad("save the new machine", tid("save"))
	p.waitWorkspace()
	machineURL := eval[string](p, `location.href`)
	if !strings.HasPrefix(machineURL, base+"/machines/") {
		t.Fatalf("after the first save the page is %s, want a /machines/ page", machineURL)
	}
	if got := eval[string](p, `document.getElementById("ws-rev").textContent`); got != "rev 1" {
		t.Errorf("the saved new machine shows %q, want rev 1", got)
	}
	// /new was replaced in the history: Back would go to the machines
	if got := p.previousURL(); got != base+"/" {
		t.Errorf("Back from the saved machine would go to %s, want %s/ (not /new)", got, base)
	}
	p.clickAndLoad("back to the machines", chromedp.CSS(`.crumbs a[href="/"]`))
	p.wait("the machine list", tidJS("machine-list"))
	if got, want := p.machineRows(), []string{"document_approval", "order_management", "order_management_copy", "trading_desk", "traffic_light"}; !equalStrings(got, want) {
		t.Fatalf("machine rows %v, want %v", got, want)
	}
	p.clickAndLoad("open the new machine", chromedp.CSS(`[data-testid=machine-row][data-name=order_management_copy] a.machine-name`))
	p.waitWorkspace()
	if got := eval[string](p, `location.href`); got != machineURL {
		t.Errorf("the list's link opens %s, want %s", got, machineURL)
	}
	if got := p.text("sim-state"); got != "pending_new" {
		t.Errorf("simulator state %q, want pending_new", got)
	}
	if got := eval[string](p, `document.getElementById("ws-name").textContent`); got != "order_management_copy" {
		t.Errorf("the new machine is called %q, want order_management_copy (the template's name is taken)", got)
	}
	original := p.editorText()
	if !strings.Contains(original, `machine_name: "order_management_copy"`) || !strings.HasSuffix(original, "\n") {
		t.Fatalf("the new machine's text does not carry its new name:\n%s", original)
	}
	if got := p.problems(); len(got) != 0 {
		t.Errorf("the template has problems: %+v", got)
	}
	if p.visible("unsaved") {
		t.Error("a machine just created is marked unsaved")
	}
	p.shot("workspace")

	// type a new transition: the diagram gains the edge
	labels := p.diagramLabels()
	if hasLabel(labels, "amend") {
		t.Fatalf("the diagram has an amend edge before it was typed: %v", labels)
	}
	r := p.rendered()
	withAmend := original + "  - {trigger: amend, source: partially_filled, dest: open}\n"
	p.setEditorText(withAmend)
	p.waitRendered("the diagram with the new edge", r)
	p.wait("the amend edge", `Array.from(document.querySelectorAll("[data-testid=diagram] svg g.edgeLabel")).some(function (e) { return e.textContent.trim() === "amend"; })`)
	if got := len(p.diagramLabels()); got != len(labels)+1 {
		t.Errorf("%d edge labels after adding one transition, want %d", got, len(labels)+1)
	}
	if got := p.problems(); len(got) != 0 {
		t.Errorf("problems after adding a valid transition: %+v", got)
	}
	if !p.visible("unsaved") {
		t.Error("no unsaved marker after an edit")
	}
	p.shot("typed-transition")

	// type (real keys) a transition to a state that does not exist
	typed := "  - {trigger: expire, source: open, dest: zzz}"
	n := p.settled()
	eval[chromedp.Void](p, `(function () { var v = StatorWorkspace.editor.view; v.dispatch({selection: {anchor: v.state.doc.length}}); })()`)
	p.do("type into the editor", chromedp.SendKeys(chromedp.CSS("#editor .cm-content"), typed))
	withBad := withAmend + typed
	p.waitAnalysisOf(withBad, n)
	if got := p.editorText(); got != withBad {
		t.Fatalf("after typing, the editor holds\n%q\nwant\n%q", got[len(withAmend)-20:], withBad[len(withAmend)-20:])
	}
	badLine := strings.Count(withBad, "\n") + 1
	badColumn := strings.Index(typed, "zzz") + 1
	p.wait("the lint marker", `document.querySelector("#editor .cm-lintRange-error") && document.querySelector("#editor .cm-lint-marker-error")`)
	probs := p.problems()
	if len(probs) != 1 || probs[0].Code != "unknown_state" || probs[0].Line != badLine || probs[0].Severity != "error" || !strings.Contains(probs[0].Text, "zzz") {
		t.Errorf("problems %+v, want one unknown_state error on line %d that names zzz", probs, badLine)
	}
	if got := eval[int](p, `Number(document.querySelector('[data-testid=problem]').dataset.column)`); got != badColumn {
		t.Errorf("the problem is at column %d, want %d", got, badColumn)
	}
	marks := p.lintMarks()
	if len(marks.RangeLines) == 0 || len(marks.GutterLines) != 1 {
		t.Errorf("lint marks %+v, want an underline and one gutter marker", marks)
	}
	for _, l := range append(marks.RangeLines, marks.GutterLines...) {
		if l != badLine {
			t.Errorf("a lint mark is on line %d, want %d (%+v)", l, badLine, marks)
		}
	}
	if len(marks.RangeTexts) > 0 && !strings.HasPrefix(strings.Join(marks.RangeTexts, ""), "zzz") {
		t.Errorf("the underline covers %q, want the unknown name zzz", marks.RangeTexts)
	}
	// the last valid diagram stays, marked invalid
	if !hasLabel(p.diagramLabels(), "amend") || !eval[bool](p, `document.querySelector("[data-testid=diagram]").classList.contains("invalid")`) {
		t.Error("the last valid diagram is not kept (and marked invalid) while the text has errors")
	}
	p.shot("unknown-destination")

	// clicking the problem moves the cursor to it
	eval[chromedp.Void](p, `StatorWorkspace.editor.view.dispatch({selection: {anchor: 0}})`)
	if c := p.cursor(); c.Line != 1 {
		t.Fatalf("cursor on line %d, want 1 before the click", c.Line)
	}
	p.do("click the problem", chromedp.Click(chromedp.CSS(`[data-testid=problem][data-code=unknown_state] button.goto`)))
	p.wait("the cursor to move", fmt.Sprintf(`StatorWorkspace.editor.view.state.doc.lineAt(StatorWorkspace.editor.view.state.selection.main.head).number === %d`, badLine))
	if c := p.cursor(); c.Line != badLine || c.Column != badColumn || !c.Focused {
		t.Errorf("after clicking the problem the cursor is at %+v, want line %d column %d, focused", c, badLine, badColumn)
	}
	p.shot("problem-clicked")

	// fix it: the marker and the problem go, the diagram gains the edge
	r = p.rendered()
	fixed := strings.Replace(withBad, "dest: zzz}", "dest: canceled}", 1) + "\n"
	p.setEditorText(fixed)
	p.waitRendered("the diagram of the fixed text", r)
	if got := p.problems(); len(got) != 0 {
		t.Errorf("problems after the fix: %+v", got)
	}
	if m := p.lintMarks(); len(m.RangeLines)+len(m.GutterLines) != 0 {
		t.Errorf("lint marks remain after the fix: %+v", m)
	}
	if got := eval[string](p, `document.querySelector("#analysis .no-problems") ? document.querySelector("#analysis .no-problems").textContent : ""`); got != "No problems." {
		t.Errorf("the problems panel says %q, want No problems.", got)
	}
	p.wait("the expire edge", `Array.from(document.querySelectorAll("[data-testid=diagram] svg g.edgeLabel")).some(function (e) { return e.textContent.trim() === "expire"; }) && !document.querySelector("[data-testid=diagram]").classList.contains("invalid")`)
	p.shot("fixed")

	// a reload before saving brings the draft back
	p.do("reload", chromedp.Reload())
	p.waitWorkspace()
	if got := p.editorText(); got != fixed {
		t.Errorf("after a reload the editor holds the saved text, not the draft")
	}
	if !p.visible("unsaved") {
		t.Error("the restored draft is not marked unsaved")
	}
	if got := eval[string](p, `document.getElementById("save-status").textContent`); !strings.Contains(got, "Restored your unsaved changes") {
		t.Errorf("save status %q, want the restored-draft notice", got)
	}
	p.wait("the diagram of the draft", `Array.from(document.querySelectorAll("[data-testid=diagram] svg g.edgeLabel")).some(function (e) { return e.textContent.trim() === "expire"; })`)
	p.shot("draft-restored")

	// save with Ctrl+S (from the editor)
	p.do("focus the editor", chromedp.Click(chromedp.CSS("#editor .cm-content")))
	p.do("press Ctrl+S", chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.wait("the save", `document.getElementById("save-status").textContent.indexOf("Saved revision") >= 0 && document.querySelector("[data-testid=unsaved]").hidden`)
	if got := eval[string](p, `document.getElementById("save-status").textContent.trim()`); got != "Saved revision 2." {
		t.Errorf("after Ctrl+S: %q, want Saved revision 2.", got)
	}
	if got := p.requests("POST /machines/"); got != 1 {
		t.Errorf("Ctrl+S sent %d save requests, want 1", got)
	}
	if got := eval[string](p, `document.getElementById("ws-rev").textContent`); got != "rev 2" {
		t.Errorf("revision shown %q, want rev 2", got)
	}
	if got := p.editorText(); got != fixed {
		t.Error("saving changed the editor text")
	}
	p.shot("saved-ctrl-s")

	// rename it and save with the button: the list shows the new name
	renamed := strings.Replace(fixed, `machine_name: "order_management_copy"`, `machine_name: e2e_orders`, 1)
	p.setEditorText(renamed)
	if !p.visible("unsaved") {
		t.Error("no unsaved marker after the rename")
	}
	if got := eval[string](p, `document.getElementById("ws-name").textContent`); got != "e2e_orders" {
		t.Errorf("the title says %q after the rename, want e2e_orders", got)
	}
	if got := eval[string](p, `document.title`); got != "● e2e_orders · Stator" {
		t.Errorf("the tab's title is %q after the rename, want ● e2e_orders · Stator", got)
	}
	p.click("save")
	p.wait("the save", `document.getElementById("save-status").textContent.indexOf("Saved revision 3") >= 0 && document.querySelector("[data-testid=unsaved]").hidden`)
	if got := eval[string](p, `document.getElementById("save-status").textContent.trim()`); got != "Saved revision 3." {
		t.Errorf("after Save: %q, want Saved revision 3. (Ctrl+S must save once)", got)
	}
	if got := eval[string](p, `JSON.stringify(Object.keys(localStorage).filter(function (k) { return k.indexOf("stator:draft:") === 0; }))`); got != "[]" {
		t.Errorf("drafts left in localStorage after saving: %s", got)
	}
	if got := eval[string](p, `document.title`); got != "e2e_orders · Stator" {
		t.Errorf("the tab's title is %q after saving, want e2e_orders · Stator", got)
	}
	p.shot("saved-button")

	// export: the downloads carry the text as JSON and the diagram as Mermaid
	checkExports(t, p)

	p.open("/")
	p.wait("the machine list", tidJS("machine-list"))
	if got, want := p.machineRows(), []string{"document_approval", "e2e_orders", "order_management", "trading_desk", "traffic_light"}; !equalStrings(got, want) {
		t.Errorf("machine rows %v, want %v", got, want)
	}
	if got := eval[string](p, `document.querySelector('[data-testid=machine-row][data-name=e2e_orders]').textContent.replace(/\s+/g, " ")`); !strings.Contains(got, "rev 3") {
		t.Errorf("the e2e_orders row says %q, want rev 3", got)
	}
	p.shot("machines-after-save")

	// share: the short link and the draft link
	p.open(machineURL)
	p.waitWorkspace()
	if p.visible("unsaved") {
		t.Error("the saved machine opens marked unsaved")
	}
	p.click("share")
	p.wait("the share links", `/\/s\/[A-Za-z0-9_-]+$/.test((document.querySelector("[data-testid=share-url]") || {}).value || "") && ((document.querySelector("[data-testid=draft-url]") || {}).value || "").indexOf("/draft#z=") > 0`)
	shareURL := eval[string](p, `document.querySelector("[data-testid=share-url]").value`)
	draftURL := eval[string](p, `document.querySelector("[data-testid=draft-url]").value`)
	if !strings.HasPrefix(shareURL, base+"/s/") || !strings.HasPrefix(draftURL, base+"/draft#z=") {
		t.Errorf("share link %q and draft link %q do not point at %s", shareURL, draftURL, base)
	}
	p.shot("share-panel")
	p.noErrors()

	// the short link in a second, fresh browser: the same machine, read-only
	b2 := newBrowser(t)
	q := openTab(t, b2, base, sh, false)
	q.open(shareURL)
	q.waitWorkspace()
	if got := q.editorText(); got != renamed {
		t.Errorf("the shared view shows other text:\n%s", got)
	}
	ql := q.diagramLabels()
	if !hasLabel(ql, "amend") || !hasLabel(ql, "expire") || len(ql) != len(labels)+2 {
		t.Errorf("the shared diagram's edges are %v", ql)
	}
	if got := q.text("fork"); got != "Fork to edit" {
		t.Errorf("the shared view's fork button says %q", got)
	}
	if eval[bool](q, `!!document.querySelector("[data-testid=save]")`) {
		t.Error("the shared view has a Save button")
	}
	q.do("type into the read-only editor", chromedp.SendKeys(chromedp.CSS("#editor .cm-content"), "x"))
	if got := q.editorText(); got != renamed {
		t.Error("the shared view's editor accepted typing")
	}
	q.shot("shared-view")
	q.clickAndLoad("fork the shared machine", tid("fork"))
	q.waitWorkspace()
	if got := eval[string](q, `document.getElementById("ws-name").textContent`); got != "e2e_orders_fork" {
		t.Errorf("the fork is called %q, want e2e_orders_fork", got)
	}
	if got, want := q.editorText(), strings.Replace(renamed, "machine_name: e2e_orders", `machine_name: "e2e_orders_fork"`, 1); got != want {
		t.Errorf("the fork's text:\n%s\nwant\n%s", got, want)
	}
	if q.visible("unsaved") || !eval[bool](q, `!!document.querySelector("[data-testid=save]")`) {
		t.Error("the fork is not an editable, saved machine")
	}
	q.shot("forked")
	q.noErrors()

	// the draft link in a fresh browser context: the same text, nothing stored
	d := openTab(t, b2, base, sh, true)
	d.open(draftURL)
	d.waitWorkspace()
	if got := d.editorText(); got != renamed {
		t.Errorf("the draft link shows other text:\n%s", got)
	}
	if dl := d.diagramLabels(); !hasLabel(dl, "amend") || !hasLabel(dl, "expire") {
		t.Errorf("the draft link's diagram edges are %v", dl)
	}
	if got := d.text("fork"); got != "Fork to edit" {
		t.Errorf("the draft view's fork button says %q", got)
	}
	d.shot("draft-link")
	d.noErrors()
}
