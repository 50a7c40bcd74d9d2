package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestCanvasScreens takes the canvas's states in both themes at 1280×800
// and at a phone's 390px (artifacts/TestCanvasScreens/, to look at): a
// selected state with the inspector, a transition's hover card, the
// shortcuts' help, picking a transition's target. Each must fit the width,
// name every control, and log no error.
func TestCanvasScreens(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	b := newBrowser(t)
	for _, theme := range []string{"light", "dark"} {
		for _, size := range []struct {
			name string
			w, h int64
		}{{"1280", 1280, 800}, {"390", 390, 844}} {
			name := theme + "-" + size.name
			p := openTab(t, b, base, sh, true)
			p.emulateScheme(theme)
			p.do("viewport "+size.name, chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(1)))
			check := func(what string) {
				t.Helper()
				if o := p.overflow(); o.ScrollWidth > o.InnerWidth {
					t.Errorf("%s, %s: the page is %dpx wide in a %dpx viewport; sticking out: %v", name, what, o.ScrollWidth, o.InnerWidth, o.Culprits)
				}
				if bad := p.unnamedControls(); len(bad) > 0 {
					t.Errorf("%s, %s: controls without an accessible name: %v", name, what, bad)
				}
			}
			p.openExample("order_management")
			p.simClick("fill-from-vars")
			if size.w < 900 {
				eval[chromedp.Void](p, `document.querySelector(".ws-center").scrollIntoView()`)
			}
			p.click("diagram-fit")
			p.clickSVG(`g[data-state="open"]`)
			p.wait("the inspector on open", tidJS("inspector-name")+`.value === "open"`)
			check("a selected state")
			p.shot(name + "-selected-state")

			p.clickSVG(`.edgeLabel[data-transition="4"]`)
			p.wait("the inspector on cancel_request", tidJS("inspector-trigger")+`.value === "cancel_request"`)
			p.hoverSVG(`.edgeLabel[data-transition="0"]`)
			p.wait("the hover card", `!document.querySelector("[data-testid=canvas-tip]").hidden`)
			check("a selected transition and a hover card")
			p.shot(name + "-transition-hover")

			p.do("blur", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
			p.do("press ?", chromedp.KeyEvent("?"))
			p.wait("the help", `!`+tidJS("canvas-help-popover")+`.hidden`)
			check("the help")
			p.shot(name + "-help")
			p.do("Escape", chromedp.KeyEvent("\x1b"))

			p.click("add-transition")
			p.clickSVG(`g[data-state="open"]`)
			p.wait("the target hint", `/now click its target/.test(`+tidJS("canvas-status")+`.textContent)`)
			p.shot(name + "-picking")
			p.do("Escape", chromedp.KeyEvent("\x1b"))
			p.noErrors()
		}
	}
	t.Logf("screens in %s", sh.dir)
}
