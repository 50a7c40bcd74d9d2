package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// workspaceReady is true once the workspace page has started: the editor,
// the first analysis and the first diagram render are there, and (for a
// valid machine) the simulator has answered.
const workspaceReady = `!!(window.StatorWorkspace && StatorWorkspace.ready && window.statorEditor &&
	Number(document.querySelector('[data-testid=diagram]').dataset.rendered) >= 1 &&
	document.querySelector('[data-testid=sim-state]'))`

// waitWorkspace waits for a workspace page to be ready.
func (p *tab) waitWorkspace() {
	p.t.Helper()
	p.wait("the workspace to be ready", workspaceReady)
	if msg := eval[string](p, `document.querySelector("[data-testid=diagram]").getAttribute("data-error") || ""`); msg != "" {
		p.fail("the diagram failed to render: %s", msg)
	}
}

// editorText is the editor's text (window.statorEditor.getText).
func (p *tab) editorText() string {
	p.t.Helper()
	return eval[string](p, `window.statorEditor.getText()`)
}

// setEditorText replaces the editor's text as typing would
// (window.statorEditor.setText) and waits until the server's analysis of
// that text is on the page.
func (p *tab) setEditorText(text string) {
	p.t.Helper()
	n := p.settled()
	eval[chromedp.Void](p, fmt.Sprintf(`window.statorEditor.setText(%s)`, js(text)))
	p.waitAnalysisOf(text, n)
}

// waitAnalysisOf waits until the problems panel shows the analysis of text:
// the last analysis request that settled carried that text (an analysis of
// what was typed on the way does not count).
func (p *tab) waitAnalysisOf(text string, settledBefore int) {
	p.t.Helper()
	p.wait("the analysis of the new text", fmt.Sprintf(
		`window.__stator.settled > %d && window.__stator.analyzed === %s && !document.querySelector("#analyze-form.htmx-request")`,
		settledBefore, js(text)))
}

// problem is one item of the problems list.
type problem struct {
	Code     string `json:"code"`
	Line     int    `json:"line"`
	Severity string `json:"severity"`
	Text     string `json:"text"`
}

func (p *tab) problems() []problem {
	p.t.Helper()
	return eval[[]problem](p, `Array.from(document.querySelectorAll('[data-testid=problems] [data-testid=problem]')).map(function (li) {
		return {code: li.dataset.code, line: Number(li.dataset.line), severity: li.dataset.severity, text: li.textContent.replace(/\s+/g, " ").trim()};
	})`)
}

// lintMarks says where CodeMirror marks problems: the line of each
// underlined range and of each gutter marker, and the underlined text.
type lintMarks struct {
	RangeLines  []int    `json:"rangeLines"`
	RangeTexts  []string `json:"rangeTexts"`
	GutterLines []int    `json:"gutterLines"`
}

func (p *tab) lintMarks() lintMarks {
	p.t.Helper()
	return eval[lintMarks](p, `(function () {
		var view = StatorWorkspace.editor.view, doc = view.state.doc;
		var out = {rangeLines: [], rangeTexts: [], gutterLines: []};
		document.querySelectorAll("#editor .cm-lintRange-error").forEach(function (el) {
			out.rangeLines.push(doc.lineAt(view.posAtDOM(el)).number);
			out.rangeTexts.push(el.textContent);
		});
		document.querySelectorAll("#editor .cm-gutter-lint .cm-lint-marker-error").forEach(function (el) {
			var r = el.getBoundingClientRect();
			out.gutterLines.push(doc.lineAt(view.lineBlockAtHeight(r.top + r.height / 2 - view.documentTop).from).number);
		});
		return out;
	})()`)
}

// cursor is the editor's cursor: line and column (1-based), and focus.
type cursor struct {
	Line    int  `json:"line"`
	Column  int  `json:"column"`
	Focused bool `json:"focused"`
}

func (p *tab) cursor() cursor {
	p.t.Helper()
	return eval[cursor](p, `(function () {
		var view = StatorWorkspace.editor.view, head = view.state.selection.main.head, line = view.state.doc.lineAt(head);
		return {line: line.number, column: head - line.from + 1, focused: view.hasFocus};
	})()`)
}

// diagramLabels are the edge labels of the drawn diagram.
func (p *tab) diagramLabels() []string {
	p.t.Helper()
	return eval[[]string](p, `Array.from(document.querySelectorAll('[data-testid=diagram] svg g.edgeLabel')).map(function (e) {
		return e.textContent.replace(/\s+/g, " ").trim();
	}).filter(function (s) { return s !== ""; })`)
}

func hasLabel(labels []string, prefix string) bool {
	for _, l := range labels {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func (p *tab) visible(id string) bool {
	p.t.Helper()
	return eval[bool](p, fmt.Sprintf(`(function(){var e=%s;return !!e && !e.hidden && e.getClientRects().length > 0})()`, tidJS(id)))
}

// machineRows are the data-name of the machines page's rows.
func (p *tab) machineRows() []string {
	p.t.Helper()
	names := eval[[]string](p, `Array.from(document.querySelectorAll('[data-testid=machine-list] [data-testid=machine-row]')).map(function (r) { return r.dataset.name; })`)
	sort.Strings(names)
	return names
}

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

// checkExports downloads the JSON and Mermaid exports through the Export
// menu (the browser saves them in a temporary directory) and checks them.
func checkExports(t *testing.T, p *tab) {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(withTimeout(t, p.ctx, stepTimeout), browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir, EventsEnabled: new(true),
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	download := func(format string) (string, []byte) {
		t.Helper()
		ctx := withTimeout(t, p.ctx, stepTimeout)
		began := chromedp.BrowserEvents(ctx, browser.DownloadWillBegin)
		progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
		p.do("open the export menu", chromedp.Click(chromedp.CSS(".export-menu > summary")))
		p.do("export "+format, chromedp.Click(chromedp.CSS(`.export-menu [data-export="`+format+`"]`)))
		var name, guid string
		for ev, err := range began {
			if err != nil {
				t.Fatalf("export %s: no download began: %v", format, err)
			}
			name, guid = ev.SuggestedFilename, ev.GUID
			break
		}
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("export %s: the download did not finish: %v", format, err)
			}
			if ev.GUID != guid {
				continue
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatalf("export %s: the download was cancelled", format)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				break
			}
		}
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("export %s: %v", format, err)
		}
		return name, body
	}

	name, body := download("json")
	var doc struct {
		Meta struct {
			MachineName string `json:"machine_name"`
			Version     string `json:"version"`
		} `json:"meta"`
		States      []map[string]any `json:"states"`
		Transitions []map[string]any `json:"transitions"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("the JSON export %s is not JSON: %v\n%s", name, err, body)
	}
	if name != "e2e_orders.json" || doc.Meta.MachineName != "e2e_orders" || doc.Meta.Version != "1.0.0" || len(doc.States) != 7 || len(doc.Transitions) != 7 {
		t.Errorf("JSON export %s: name %q version %q, %d states, %d transitions; want e2e_orders.json, e2e_orders 1.0.0, 7 states, 7 transitions",
			name, doc.Meta.MachineName, doc.Meta.Version, len(doc.States), len(doc.Transitions))
	}
	if last := doc.Transitions[len(doc.Transitions)-1]; last["trigger"] != "expire" || last["dest"] != "canceled" {
		t.Errorf("the JSON export's last transition is %v, want expire → canceled", last)
	}

	name, body = download("mermaid")
	mmd := string(body)
	for _, want := range []string{"stateDiagram-v2\n", "s_partially_filled_ --> s_open_ : amend\n", "s_open_ --> s_canceled_ : expire\n", "[*] --> s_pending_new_\n"} {
		if !strings.Contains(mmd, want) {
			t.Errorf("the Mermaid export %s lacks %q:\n%s", name, want, mmd)
		}
	}
	if name != "e2e_orders.mmd" || !strings.HasPrefix(mmd, "stateDiagram-v2") {
		t.Errorf("the Mermaid export is %s starting %.30q", name, mmd)
	}
	// the page's own diagram source is the same text
	if got := eval[string](p, `StatorWorkspace.analysis.mermaid`); got != mmd {
		t.Errorf("the Mermaid export differs from the diagram on the page")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// previousURL is the URL of the history entry before the current one
// (where Back would go).
func (p *tab) previousURL() string {
	p.t.Helper()
	h, err := chromedp.Run(withTimeout(p.t, p.ctx, stepTimeout), func(ctx context.Context, tg *chromedp.Target) (page.GetNavigationHistoryResult, error) {
		return cdp.Call(ctx, tg, page.GetNavigationHistory, cdp.Empty{})
	})
	if err != nil {
		p.fail("read the history: %v", err)
	}
	if h.CurrentIndex < 1 {
		return ""
	}
	return h.Entries[h.CurrentIndex-1].URL
}

// unnamedControls lists the buttons, links, menu items, tabs and form
// fields in the page's accessibility tree that have no accessible name.
func (p *tab) unnamedControls() []string {
	p.t.Helper()
	roles := map[string]bool{"button": true, "link": true, "menuitem": true, "tab": true, "checkbox": true, "radio": true,
		"textbox": true, "spinbutton": true, "combobox": true, "DisclosureTriangle": true, "switch": true}
	out, err := chromedp.Run(withTimeout(p.t, p.ctx, stepTimeout), func(ctx context.Context, tg *chromedp.Target) ([]string, error) {
		tree, err := cdp.Call(ctx, tg, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return nil, err
		}
		var out []string
		for _, n := range tree.Nodes {
			if n.Ignored || n.Role == nil {
				continue
			}
			var role, name string
			_ = json.Unmarshal(n.Role.Value, &role)
			if !roles[role] {
				continue
			}
			if n.Name != nil {
				_ = json.Unmarshal(n.Name.Value, &name)
			}
			if strings.TrimSpace(name) != "" {
				continue
			}
			what := role
			if n.BackendDOMNodeID != 0 {
				if d, err := cdp.Call(ctx, tg, dom.DescribeNode, dom.DescribeNodeParams{BackendNodeID: n.BackendDOMNodeID}); err == nil && d.Node != nil {
					what += fmt.Sprintf(" <%s %v>", strings.ToLower(d.Node.NodeName), d.Node.Attributes)
				}
			}
			out = append(out, what)
		}
		return out, nil
	})
	if err != nil {
		p.fail("read the accessibility tree: %v", err)
	}
	return out
}

// overflow is how far the page is wider than the viewport, and the widest
// elements that stick out.
type overflow struct {
	ScrollWidth int      `json:"scrollWidth"`
	InnerWidth  int      `json:"innerWidth"`
	Culprits    []string `json:"culprits"`
}

func (p *tab) overflow() overflow {
	p.t.Helper()
	return eval[overflow](p, `(function () {
		var out = {scrollWidth: document.scrollingElement.scrollWidth, innerWidth: window.innerWidth, culprits: []};
		if (out.scrollWidth > out.innerWidth) {
			document.querySelectorAll("body *").forEach(function (e) {
				var r = e.getBoundingClientRect();
				if (r.right > window.innerWidth + 1 && out.culprits.length < 8) out.culprits.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + String(e.className.baseVal !== undefined ? e.className.baseVal : e.className).replace(/\s+/g, ".") + " right=" + Math.round(r.right));
			});
		}
		return out;
	})()`)
}

// TestPhoneWidth opens the machines page and a workspace at a phone's width
// (390×844): nothing makes the page scroll sideways, and every control has
// an accessible name.
func TestPhoneWidth(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))

	check := func(what string) {
		t.Helper()
		if o := p.overflow(); o.ScrollWidth > o.InnerWidth {
			t.Errorf("%s: the page is %dpx wide in a %dpx viewport; sticking out: %v", what, o.ScrollWidth, o.InnerWidth, o.Culprits)
		}
		if bad := p.unnamedControls(); len(bad) > 0 {
			t.Errorf("%s: controls without an accessible name: %v", what, bad)
		}
	}

	p.open("/")
	p.wait("the machine list", tidJS("machine-list"))
	check("machines page")
	p.shot("machines")
	p.click("new-machine")
	p.wait("the new machine form", `document.querySelector(".new-menu").open`)
	check("machines page with the New menu open")
	p.shot("machines-new-menu")

	id := eval[string](p, `document.querySelector('[data-testid=machine-row][data-name=order_management]').dataset.id`)
	p.open("/machines/" + id)
	p.waitWorkspace()
	check("workspace")
	p.shot("workspace")
	p.do("open the export menu", chromedp.Click(chromedp.CSS(".export-menu > summary")))
	p.wait("the export menu", `document.querySelector(".export-menu").open`)
	p.click("share")
	p.wait("the share links", `((document.querySelector("[data-testid=draft-url]") || {}).value || "").indexOf("/draft#z=") > 0`)
	if eval[bool](p, `document.querySelector(".export-menu").open`) {
		t.Error("the Export menu stays open over the page after a click elsewhere")
	}
	check("workspace with the share panel")
	p.shot("workspace-share")
	p.click("tab-entities")
	p.wait("the entities panel", tidJS("create-entity"))
	check("workspace, entities tab")
	p.shot("workspace-entities")

	// an entity's page (its columns' minimum widths beat the phone rules:
	// it was 700px wide)
	createEntity(t, base, "doc-phone", "document_approval", "submit")
	p.open("/entities/doc-phone")
	p.wait("the entity page", `Number(document.querySelector("[data-testid=diagram]").dataset.rendered) >= 1 && `+tidJS("send-event"))
	check("entity page")
	p.shot("entity-page")
	p.noErrors()
}

// createEntity creates an entity of a stored machine through the API and
// sends it the given events.
func createEntity(t *testing.T, base, id, machine string, events ...string) {
	t.Helper()
	post := func(path, body string) {
		t.Helper()
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode/100 != 2 {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
		}
	}
	post("/api/v1/entities/"+id+"/create", `{"machine_name": `+js(machine)+`}`)
	for _, e := range events {
		post("/api/v1/entities/"+id+"/events", `{"trigger": `+js(e)+`}`)
	}
}
