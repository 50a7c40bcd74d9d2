package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// waitTextChange waits until the editor's text is no longer before, and
// returns the new text.
func (p *tab) waitTextChange(what, before string) string {
	p.t.Helper()
	p.wait(what, `window.statorEditor.getText() !== `+js(before))
	return p.editorText()
}

// askName answers the canvas's name form (#canvas-ask).
func (p *tab) askName(name string) {
	p.t.Helper()
	p.wait("the name form", `!`+tidJS("canvas-ask")+`.hidden`)
	p.do("type "+name, chromedp.Focus(tid("canvas-ask-name")), chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.SendKeys(tid("canvas-ask-name"), name))
	p.click("canvas-ask-ok")
}

// addedLines checks that after is before with lines inserted in one place
// (nothing else changed) and returns them.
func addedLines(t *testing.T, before, after string) []string {
	t.Helper()
	a, b := strings.Split(before, "\n"), strings.Split(after, "\n")
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	j := 0
	for j < len(a)-i && j < len(b)-i && a[len(a)-1-j] == b[len(b)-1-j] {
		j++
	}
	if i+j != len(a) {
		t.Fatalf("the edit changed lines %d..%d of the text, not only added some:\n%s", i+1, len(a)-j, strings.Join(b[i:len(b)-j], "\n"))
	}
	return b[i : len(b)-j]
}

// TestCanvasEditsInBrowser makes the visual edits from the diagram and the
// inspector on the order example, each through POST /api/v1/edit: a
// transition added by picking its source and target (the YAML gains exactly
// one transition, the diagram its edge); a state renamed from the
// inspector (every reference renamed; one Ctrl+Z restores the text); a
// rename the server refuses (its problem shown, the text unchanged); a
// state added with the keyboard, made initial, moved into another state; a
// transition's guards and actions changed in the inspector; a state deleted
// with its transitions after a confirmation.
func TestCanvasEditsInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.openExample("order_management")
	p.click("diagram-fit")

	// add a transition: source, then target, then its trigger
	before := p.editorText()
	drawn := p.rendered()
	p.click("add-transition")
	p.wait("the picking hint", `/click its source/.test(`+tidJS("canvas-status")+`.textContent)`)
	p.clickSVG(`g[data-state="open"]`)
	p.clickSVG(`g[data-state="rejected"]`)
	p.askName("reject_open")
	after := p.waitTextChange("the new transition in the text", before)
	added := addedLines(t, before, after)
	if got := strings.Count(strings.Join(added, "\n"), "trigger: reject_open"); got != 1 || strings.Count(after, "trigger:") != strings.Count(before, "trigger:")+1 {
		t.Errorf("the text gained %q, want one transition reject_open", added)
	}
	if joined := strings.Join(added, "\n"); !strings.Contains(joined, "source: open") || !strings.Contains(joined, "dest: rejected") {
		t.Errorf("the added transition %q is not open → rejected", joined)
	}
	p.waitRendered("the diagram with the new edge", drawn)
	p.wait("the new edge", diagramJS+`.querySelector('path[data-transition="5"]') && Array.from(`+diagramJS+`.querySelectorAll('.edgeLabel[data-transition="5"]')).some(function (e) { return /reject_open/.test(e.textContent); })`)
	if got := p.problems(); len(got) != 0 {
		t.Errorf("problems after adding the transition: %+v", got)
	}
	p.shot("added-transition")

	// rename a state from the inspector, then undo it
	p.clickSVG(`g[data-state="partially_filled"]`)
	p.wait("the inspector on partially_filled", tidJS("inspector-name")+`.value === "partially_filled"`)
	before = p.editorText()
	refs := strings.Count(before, "partially_filled")
	p.do("type the new name", chromedp.Focus(tid("inspector-name")), chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.SendKeys(tid("inspector-name"), "part_filled"))
	p.click("inspector-rename")
	after = p.waitTextChange("the renamed state", before)
	if strings.Contains(after, "partially_filled") || strings.Count(after, "part_filled") != refs {
		t.Errorf("after the rename: %d × partially_filled, %d × part_filled; want 0 and %d", strings.Count(after, "partially_filled"), strings.Count(after, "part_filled"), refs)
	}
	if strings.ReplaceAll(after, "part_filled", "partially_filled") != before {
		t.Errorf("the rename changed more than the name")
	}
	p.wait("the inspector on part_filled", tidJS("inspector-name")+`.value === "part_filled"`)
	p.shot("renamed-state")
	p.do("focus the editor", chromedp.Focus("#editor .cm-content"))
	p.do("Ctrl+Z", chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	if got := p.waitTextChange("the undo", after); got != before {
		t.Errorf("one Ctrl+Z did not restore the text before the rename")
	}

	// a refused edit: the name is taken
	p.clickSVG(`g[data-state="open"]`)
	p.wait("the inspector on open", tidJS("inspector-name")+`.value === "open"`)
	before = p.editorText()
	p.do("type a taken name", chromedp.Focus(tid("inspector-name")), chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.SendKeys(tid("inspector-name"), "filled"))
	p.click("inspector-rename")
	p.wait("the refusal", `!`+tidJS("canvas-refused")+`.hidden && /filled/.test(`+tidJS("canvas-refused")+`.textContent)`)
	p.shot("refused")
	if got := p.editorText(); got != before {
		t.Errorf("a refused edit changed the text")
	}

	// add a state with the keyboard (S), make it initial (I)
	p.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	before = p.editorText()
	p.do("press S", chromedp.KeyEvent("s"))
	p.askName("review")
	after = p.waitTextChange("the new state", before)
	if added := addedLines(t, before, after); !strings.Contains(strings.Join(added, "\n"), "review") {
		t.Errorf("add state added %q", added)
	}
	p.wait("review on the diagram", diagramJS+`.querySelector('g[data-state="review"]')`)
	p.wait("review selected", `StatorCanvas.selection().states[0] === "review"`)
	before = p.editorText()
	p.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	p.do("press I", chromedp.KeyEvent("i"))
	after = p.waitTextChange("review made initial", before)
	p.wait("the analysis of it", `StatorWorkspace.analysis && StatorWorkspace.analysis.model && StatorWorkspace.analysis.model.states.some(function (s) { return s.name === "review" && s.type === "initial"; })`)
	if m := eval[string](p, `StatorWorkspace.analysis.model.states.filter(function (s) { return s.type === "initial"; }).map(function (s) { return s.name; }).join()`); m != "review" {
		t.Errorf("initial states after Set initial: %q", m)
	}

	// move pending_new into review (the inspector's Inside)
	p.clickSVG(`g[data-state="pending_new"]`)
	p.wait("the inspector on pending_new", tidJS("inspector-name")+`.value === "pending_new"`)
	before = p.editorText()
	p.do("choose review", chromedp.SetValue(tid("inspector-parent"), "review"))
	p.click("inspector-move")
	p.waitTextChange("pending_new moved", before)
	p.wait("pending_new inside review", `StatorWorkspace.analysis.model && StatorWorkspace.analysis.model.states.some(function (s) { return s.name === "pending_new" && s.parent === "review"; })`)

	// a transition's guards and actions from the inspector
	p.clickSVG(`.edgeLabel[data-transition="4"]`)
	p.wait("the inspector on cancel_request", tidJS("inspector-trigger")+`.value === "cancel_request"`)
	before = p.editorText()
	p.do("guards", chromedp.SetValue(tid("inspector-guards"), "is_cancellable\norder_qty > 0"))
	p.do("actions", chromedp.SetValue(tid("inspector-actions"), "send_cancel_to_exchange\nnotify_ui"))
	p.click("inspector-apply")
	after = p.waitTextChange("the changed transition", before)
	if !strings.Contains(after, "order_qty > 0") || !strings.Contains(after, "notify_ui") {
		t.Errorf("the transition's new guards and actions are not in the text:\n%s", after[strings.Index(after, "cancel_request\n"):])
	}
	p.shot("changed-transition")

	// delete a state with its transitions, after the confirmation
	p.clickSVG(`g[data-state="rejected"]`)
	p.wait("the inspector on rejected", tidJS("inspector-name")+`.value === "rejected"`)
	before = p.editorText()
	p.click("delete-state")
	p.wait("the confirmation", tidJS("canvas-confirm")+`.open && /rejected and its 2 transitions/.test(`+tidJS("canvas-confirm")+`.textContent)`)
	p.shot("confirm-delete")
	p.click("canvas-confirm-ok")
	after = p.waitTextChange("rejected deleted", before)
	if strings.Contains(after, "name: rejected") || strings.Contains(after, "dest: rejected") {
		t.Errorf("rejected or a transition to it is still in the text")
	}
	if got, want := strings.Count(after, "trigger:"), strings.Count(before, "trigger:")-2; got != want {
		t.Errorf("%d transitions after the delete, want %d", got, want)
	}
	p.wait("the analysis without problems", `StatorWorkspace.analysis && StatorWorkspace.analysis.valid && !StatorWorkspace.analysis.model.states.some(function (s) { return s.name === "rejected"; })`)
	// the refused edit's 400 is the one error the browser logs
	for _, e := range p.errors() {
		if !strings.Contains(e, "status of 400") {
			t.Errorf("the page reported an error: %s", e)
		}
	}
}

// TestCanvasViewerInBrowser: a viewer sees the diagram and the inspector
// but no visual edit.
func TestCanvasViewerInBrowser(t *testing.T) {
	t.Parallel()
	base, _ := startTeamServer(t)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.open("/")
	p.logIn("vera", accountsPassword)
	p.wait("the machine list", tidJS("machine-list"))
	id := eval[string](p, `document.querySelector('[data-testid=machine-row][data-name=order_management]').dataset.id`)
	p.open("/machines/" + id)
	p.waitWorkspace()
	for _, hook := range []string{"add-state", "add-transition", "rename", "delete-state", "inspector-name", "inspector-apply"} {
		if eval[bool](p, fmt.Sprintf(`!!%s`, tidJS(hook))) {
			t.Errorf("a viewer is offered %s", hook)
		}
	}
	p.click("diagram-fit")
	p.clickSVG(`g[data-state="open"]`)
	p.wait("the inspector on open", `/open/.test(`+tidJS("inspector")+`.textContent) && !document.querySelector("[data-testid=inspector] .inspector-state").hidden`)
	p.noErrors()
}
