package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// clickDuringSwap arranges that, the next time htmx swaps new content into
// #simulator, the button with this data-testid in the new content is clicked
// at once: after the swap, before htmx has settled (wired) it. It marks the
// document, so that a page load (a native form submission) shows.
func (p *tab) clickDuringSwap(id string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`(function () {
		window.__samePage = true;
		window.__clickedWhile = "";
		document.addEventListener("htmx:afterSwap", function once(e) {
			if (!e.detail.target || e.detail.target.id !== "simulator") return;
			document.removeEventListener("htmx:afterSwap", once);
			var b = %s;
			window.__clickedWhile = document.querySelector("#simulator.htmx-settling") ? "settling" : "settled";
			b.click();
		});
	})()`, tidJS(id)))
}

// TestNoNativeSubmitInBrowser: a submit button clicked while the simulator
// panel is being swapped (after an edit, and after a simulator operation)
// never submits the form natively, which would load another page: the page
// stays, and the click still does what it says, through htmx.
func TestNoNativeSubmitInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)

	p.open("/")
	p.clickAndLoad("open order_management", chromedp.CSS(`[data-testid=machine-row][data-name=order_management] a.machine-name`))
	p.waitWorkspace()
	url := eval[string](p, `location.href`)

	stepsWith := func(label string) string {
		return fmt.Sprintf(`Array.from(document.querySelectorAll("[data-testid=step] .step-label")).filter(function (s) { return s.textContent.trim() === %s; }).length`, js(label))
	}
	tests := []struct {
		name  string
		swap  func() // something that makes the simulator panel swap
		click string
		want  string // the step label the click adds
	}{
		{name: "after an edit", click: "clock-advance", want: "advance 1s", swap: func() {
			p.setEditorText(p.editorText() + "# a comment changes the text, the simulator replays it\n")
		}},
		{name: "after a simulator operation", click: "event-exchange_ack", want: "exchange_ack", swap: func() {
			p.click("fill-from-vars")
		}},
	}
	for _, tc := range tests {
		before := eval[int](p, stepsWith(tc.want))
		p.clickDuringSwap(tc.click)
		tc.swap()
		p.wait("the click's answer, or another page", fmt.Sprintf(`!window.__samePage || %s > %d`, stepsWith(tc.want), before))
		if !eval[bool](p, `window.__samePage === true`) {
			p.fail("%s: a click on %s during the swap loaded another page: %s", tc.name, tc.click, eval[string](p, `location.href + " " + document.body.textContent.slice(0, 120)`))
		}
		if got := eval[string](p, `window.__clickedWhile`); got != "settling" {
			t.Errorf("%s: the click happened while the panel was %q, want settling (the test did not test the race)", tc.name, got)
		}
		if got := eval[string](p, `location.href`); got != url {
			t.Errorf("%s: the page is at %s, want %s", tc.name, got, url)
		}
		if got := eval[int](p, stepsWith(tc.want)); got != before+1 {
			t.Errorf("%s: %d steps %q after the click, want %d", tc.name, got, tc.want, before+1)
		}
	}
	if got := p.text("sim-state"); got != "open" {
		t.Errorf("the simulator is in %q, want open (after exchange_ack)", got)
	}
	if strings.Contains(eval[string](p, `document.title`), "simulate") {
		t.Error("the page's title changed")
	}
	p.shot("after-clicks-during-swaps")
	p.noErrors()
}
