package e2e

import (
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScreens takes the pages a person sees most in both themes at
// 1280×800 and at a phone's 390px (artifacts/TestScreens/, to look at):
// the machines, a workspace in the middle of a simulation, an entity with
// a pending timer. Each must fit the width (no sideways scrolling), show no
// page error, and be in the theme asked for.
func TestScreens(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	b := newBrowser(t)
	createEntity(t, base, "doc-1", "document_approval", "submit")

	for _, theme := range []string{"light", "dark"} {
		for _, size := range []struct {
			name string
			w, h int64
		}{{"1280", 1280, 800}, {"390", 390, 844}} {
			name := theme + "-" + size.name
			p := openTab(t, b, base, sh, true)
			p.emulateScheme(theme)
			p.do("viewport "+size.name, chromedp.EmulateViewport(size.w, size.h, chromedp.EmulateScale(1)))
			fits := func(what string) {
				t.Helper()
				if got := eval[string](p, `document.documentElement.getAttribute("data-theme")`); got != theme {
					t.Errorf("%s, %s: data-theme %q", name, what, got)
				}
				if o := p.overflow(); o.ScrollWidth > o.InnerWidth {
					t.Errorf("%s, %s: the page is %dpx wide in a %dpx viewport; sticking out: %v", name, what, o.ScrollWidth, o.InnerWidth, o.Culprits)
				}
			}

			p.open("/")
			p.wait("the machine list", tidJS("machine-list"))
			fits("machines")
			p.shot(name + "-machines")

			id := eval[string](p, `document.querySelector('[data-testid=machine-row][data-name=order_management]').dataset.id`)
			p.open("/machines/" + id)
			p.waitWorkspace()
			p.simClick("fill-from-vars")
			p.simClick("event-exchange_ack")
			p.waitText("sim-state", "open")
			p.typeInto("payload-execution_report-fill_qty", "30")
			p.wait("the guard's answer", `!`+tidJS("event-execution_report")+`.disabled`)
			fits("workspace")
			p.shot(name + "-workspace")
			if size.w < 900 {
				// the phone's page scrolls: the simulator is below the diagram
				eval[chromedp.Void](p, `document.getElementById("simulator").scrollIntoView()`)
				p.shot(name + "-workspace-simulator")
			}

			p.open("/entities/doc-1")
			p.wait("the entity page", `Number(document.querySelector("[data-testid=diagram]").dataset.rendered) >= 1 && `+tidJS("send-event"))
			p.waitText("entity-state", "legal_review")
			if got := eval[string](p, `document.querySelector("[data-testid=entity-timer]").textContent.replace(/\s+/g, " ").trim()`); !timerText.MatchString(got) {
				t.Errorf("%s: the entity's timer reads %q", name, got)
			}
			fits("entity page")
			p.shot(name + "-entity")
			p.noErrors()
		}
	}
	t.Logf("screens in %s", sh.dir)
}

// timerText is how the entity page shows document_approval's 3-day review
// timeout (it was "(timeout of in_review) due 12:00:00 UTC (in 72h0m0s)").
var timerText = regexp.MustCompile(`^timeout of in_review due \d\d:\d\d:\d\d UTC in (2 days 23 h|3 days)$`)
