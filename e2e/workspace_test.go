package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestAdvanceKeepsItsSeconds: the Advance field keeps what was typed across
// the simulator's answers (it was reset to 1 after every operation, so the
// second Advance of 3 s advanced 1 s).
func TestAdvanceKeepsItsSeconds(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)

	p.open("/")
	p.clickAndLoad("open traffic_light", chromedp.CSS(`[data-testid=machine-row][data-name=traffic_light] a.machine-name`))
	p.waitWorkspace()
	p.typeInto("clock-seconds", "3")
	p.simClick("clock-advance")
	p.simClick("clock-advance")
	if got, want := stepLabels(p.steps()), []string{"advance 3s", "advance 3s"}; !equalStrings(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	if got := p.value("clock-seconds"); got != "3" {
		t.Errorf("the Advance field holds %q after two advances, want 3", got)
	}
	if got := p.text("sim-clock"); got != "00:00:06" {
		t.Errorf("the clock says %s, want 00:00:06", got)
	}
	p.noErrors()
}

// TestInvalidDraftRestored: text with errors, kept as a draft, comes back
// after a reload with the last saved diagram (dimmed, with a notice) and the
// simulator saying why it does not run, not an empty page; "Discard
// changes" goes back to the saved text and forgets the draft.
func TestInvalidDraftRestored(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)

	p.open("/")
	p.clickAndLoad("open order_management", chromedp.CSS(`[data-testid=machine-row][data-name=order_management] a.machine-name`))
	p.waitWorkspace()
	saved := p.editorText()
	if p.visible("discard-draft") {
		t.Error("Discard changes is offered with nothing to discard")
	}
	broken := strings.Replace(saved, "dest: open", "dest: nowhere", 1)
	p.setEditorText(broken)
	if !p.visible("discard-draft") {
		t.Error("no Discard changes after an edit")
	}
	p.wait("the draft to be kept", `Object.keys(localStorage).some(function (k) { return k.indexOf("stator:draft:") === 0; })`)

	p.do("reload", chromedp.Reload())
	p.wait("the restored draft's analysis", `window.StatorWorkspace && StatorWorkspace.ready && document.querySelector("[data-testid=problem][data-code=unknown_state]")`)
	if got := p.editorText(); got != broken {
		t.Fatal("the draft was not restored")
	}
	p.wait("the saved diagram, dimmed", `document.querySelector("[data-testid=diagram] svg") && document.querySelector("[data-testid=diagram]").classList.contains("invalid")`)
	if got := eval[string](p, `getComputedStyle(document.querySelector("[data-testid=diagram]"), "::before").content`); !strings.Contains(got, "last valid diagram") {
		t.Errorf("the diagram's notice is %s, want one about the last valid diagram", got)
	}
	p.wait("the simulator's reason", `(document.getElementById("simulator").textContent || "").indexOf("once its text has no errors") >= 0`)
	if !p.visible("discard-draft") || !p.visible("unsaved") {
		t.Error("the restored draft is not marked unsaved with Discard changes")
	}
	p.shot("invalid-draft-restored")

	n := p.settled()
	p.click("discard-draft")
	p.waitAnalysisOf(saved, n)
	if got := p.editorText(); got != saved {
		t.Error("Discard changes did not bring the saved text back")
	}
	p.wait("the simulator", tidJS("sim-state"))
	p.wait("the draft to be forgotten", `!Object.keys(localStorage).some(function (k) { return k.indexOf("stator:draft:") === 0; })`)
	if p.visible("discard-draft") || p.visible("unsaved") {
		t.Error("after discarding, the workspace still says there are changes")
	}
	if got := p.problems(); len(got) != 0 {
		t.Errorf("problems after discarding: %+v", got)
	}
	p.shot("discarded")
	p.noErrors()
}

// TestEnterInAContextField: Enter in a simulator field applies the value
// and nothing else. It submitted the form with its first button, Next timer
// (which fired the timer); with the header's new order that would be Reset.
func TestEnterInAContextField(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)

	p.open("/")
	p.clickAndLoad("open order_management", chromedp.CSS(`[data-testid=machine-row][data-name=order_management] a.machine-name`))
	p.waitWorkspace()
	p.simClick("fill-from-vars")
	enter := func(qty, state string, steps int) {
		t.Helper()
		p.typeInto("ctx-order_qty", qty)
		n := p.settled()
		p.do("press Enter", chromedp.KeyEvent("\r"))
		p.waitSettled("the answer to Enter", n)
		p.wait("order_qty to be applied", `JSON.parse(`+tidJS("ctx-json")+`.value).order_qty === `+qty)
		if got := p.text("sim-state"); got != state {
			t.Errorf("after Enter in order_qty the state is %q, want %q", got, state)
		}
		if got := len(p.steps()); got != steps {
			t.Errorf("after Enter in order_qty there are %d steps, want %d", got, steps)
		}
		if got := p.text("sim-clock"); got != "00:00:00" {
			t.Errorf("after Enter in order_qty the clock says %s, want 00:00:00", got)
		}
	}
	enter("70", "pending_new", 0) // Next timer is enabled here
	p.simClick("event-exchange_ack")
	p.waitText("sim-state", "open")
	enter("80", "open", 2) // a context step after exchange_ack; Reset would go back to pending_new
	p.noErrors()
}
