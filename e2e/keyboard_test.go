package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focusNow describes the focused element for the keyboard test: its id or
// test id, whether it is on screen, and whether it shows a focus ring (the
// editor shows its own, on .cm-editor.cm-focused).
const focusNow = `(function () {
  var e = document.activeElement;
  if (!e || e === document.body) return {name: "body", onScreen: false, ring: false, inEditor: false, inSim: false};
  var r = e.getBoundingClientRect(), cs = getComputedStyle(e);
  var ed = e.closest(".cm-editor");
  return {
    name: e.dataset.testid || e.id || e.tagName.toLowerCase() + " " + (e.getAttribute("aria-label") || e.textContent || "").trim().slice(0, 30),
    onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth,
    ring: ed ? ed.classList.contains("cm-focused") : cs.outlineStyle !== "none" && cs.outlineWidth !== "0px",
    inEditor: !!ed,
    inSim: !!e.closest("#simulator"),
  };
})()`

type focused struct {
	Name     string `json:"name"`
	OnScreen bool   `json:"onScreen"`
	Ring     bool   `json:"ring"`
	InEditor bool   `json:"inEditor"`
	InSim    bool   `json:"inSim"`
}

// TestKeyboardOnly works the workspace with the keyboard alone: every Tab
// stop is on screen with a visible focus ring, the editor (where Tab
// indents) says how to leave it and Escape, Tab leaves it, an event fires
// with Enter, and focus then stays in the simulator (it fell to the page's
// body when the answer replaced the panel, so the next Tab started again at
// the top of the page).
func TestKeyboardOnly(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.openExample("order_management")
	p.do("start from the top", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur(); window.scrollTo(0, 0)`))
	tab := func() focused {
		p.t.Helper()
		p.do("Tab", chromedp.KeyEvent(kb.Tab))
		return eval[focused](p, focusNow)
	}

	var f focused
	for i := 0; i < 20; i++ {
		if f = tab(); f.InEditor {
			break
		}
		if !f.OnScreen || !f.Ring {
			t.Errorf("Tab stop %d (%s): on screen %v, focus ring %v", i+1, f.Name, f.OnScreen, f.Ring)
		}
	}
	if !f.InEditor {
		t.Fatalf("20 Tabs did not reach the editor (last: %s)", f.Name)
	}
	if d := eval[string](p, `document.querySelector("#editor .cm-content").getAttribute("aria-description") || ""`); !strings.Contains(d, "Escape, then Tab") {
		t.Errorf("the editor does not say how to leave it by keyboard (aria-description %q)", d)
	}
	text := p.editorText()
	p.do("Escape", chromedp.KeyEvent(kb.Escape))
	if f = tab(); f.InEditor {
		t.Fatalf("Escape, Tab stayed in the editor")
	}
	if p.editorText() != text {
		t.Error("leaving the editor by keyboard changed the text")
	}

	for i := 0; i < 80 && f.Name != "event-exchange_ack"; i++ {
		if !f.OnScreen || !f.Ring {
			t.Errorf("Tab stop after the editor (%s): on screen %v, focus ring %v", f.Name, f.OnScreen, f.Ring)
		}
		f = tab()
	}
	if f.Name != "event-exchange_ack" {
		t.Fatalf("80 Tabs after the editor did not reach the exchange_ack event (last: %s)", f.Name)
	}
	p.do("Enter", chromedp.KeyEvent(kb.Enter))
	p.wait("the simulator in open", tidJS("sim-state")+`.textContent === "open"`)
	if f = eval[focused](p, focusNow); !f.InSim {
		t.Errorf("after firing an event by keyboard the focus is on %s, not in the simulator", f.Name)
	}
	p.shot("after-enter")
	if f = tab(); !f.InSim {
		t.Errorf("the Tab after firing an event went to %s, outside the simulator", f.Name)
	}
	p.noErrors()
}
