package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// emulateScheme makes the browser report this system colour scheme
// (prefers-color-scheme: "light" or "dark").
func (p *tab) emulateScheme(scheme string) {
	p.t.Helper()
	p.do("emulate prefers-color-scheme: "+scheme, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	}))
}

// surfaces are the parts of the workspace that must all follow the theme
// (the issue: the editor turned dark, the rest stayed light).
var surfaces = []string{"body", ".topbar", ".ws-bar", ".ws-left", "#editor .cm-editor", "#editor .cm-gutters",
	".ws-problems", ".diagram-wrap", ".tabs", ".sim-head", ".sim-body", "[data-testid=fill-from-vars]", "[data-testid=ctx-order_qty]"}

// luminances is the relative luminance (0 black .. 1 white) of the
// background each selector's element shows: its own, or the first
// ancestor's that is not transparent.
func (p *tab) luminances(selectors []string) map[string]float64 {
	p.t.Helper()
	return eval[map[string]float64](p, fmt.Sprintf(`(function (sels) {
		function lum(el) {
			for (; el; el = el.parentElement) {
				var m = getComputedStyle(el).backgroundColor.match(/[\d.]+/g);
				if (!m || (m.length === 4 && Number(m[3]) === 0)) continue;
				var c = m.slice(0, 3).map(function (v) { v = v / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
				return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
			}
			return 1; // the canvas is white
		}
		var out = {};
		sels.forEach(function (s) { var el = document.querySelector(s); out[s] = el ? lum(el) : -1; });
		return out;
	})(%s)`, jsList(selectors)))
}

// checkSurfaces fails when a surface is missing or not in the theme's tone.
func (p *tab) checkSurfaces(theme string) {
	p.t.Helper()
	for sel, l := range p.luminances(surfaces) {
		switch {
		case l < 0:
			p.t.Errorf("%s: no element %s on the page", theme, sel)
		case theme == "dark" && l > 0.1:
			p.t.Errorf("%s theme: %s has a light background (luminance %.2f)", theme, sel, l)
		case theme == "light" && l < 0.6:
			p.t.Errorf("%s theme: %s has a dark background (luminance %.2f)", theme, sel, l)
		}
	}
}

// editorScheme is "dark" or "light": the colours CodeMirror uses (its string
// colour differs between its light and dark themes).
func (p *tab) editorScheme() string {
	p.t.Helper()
	switch c := eval[string](p, `getComputedStyle(document.querySelector("#editor .cm-editor")).getPropertyValue("--se-string").trim()`); c {
	case "#7ee787":
		return "dark"
	case "#116329":
		return "light"
	default:
		return "unknown colour " + c
	}
}

func jsList(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = js(s)
	}
	return "[" + strings.Join(quoted, ",") + "]"
}

// TestThemeInBrowser: the page follows the system's colour scheme as a
// whole (editor included) from the first paint; the header's toggle
// switches <html data-theme>, the editor follows, the choice survives a
// reload; choosing the system's own theme forgets the choice and the page
// follows the system again.
func TestThemeInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.emulateScheme("dark")

	p.open("/")
	p.wait("the machine list", tidJS("machine-list"))
	if got := eval[string](p, `document.documentElement.getAttribute("data-theme")`); got != "dark" {
		t.Fatalf("data-theme %q with a dark system, want dark", got)
	}
	if got := eval[string](p, `window.__stator.themeAtBody`); got != "dark" {
		t.Errorf("the theme when the body first existed was %q, want dark (set before the first paint)", got)
	}
	if got := eval[string](p, tidJS("theme-toggle")+`.getAttribute("aria-pressed")`); got != "true" {
		t.Errorf("the toggle's aria-pressed is %q in the dark theme, want true", got)
	}

	id := eval[string](p, `document.querySelector('[data-testid=machine-row][data-name=order_management]').dataset.id`)
	p.open("/machines/" + id)
	p.waitWorkspace()
	if got := p.editorScheme(); got != "dark" {
		t.Errorf("the editor is %s in the dark theme", got)
	}
	p.checkSurfaces("dark")
	p.shot("system-dark")

	// the toggle: light, and the editor follows
	p.click("theme-toggle")
	p.wait("the light theme", `document.documentElement.getAttribute("data-theme") === "light"`)
	p.wait("the editor to turn light", `getComputedStyle(document.querySelector("#editor .cm-editor")).getPropertyValue("--se-string").trim() === "#116329"`)
	p.checkSurfaces("light")
	if got := eval[string](p, `localStorage.getItem("stator:theme") || ""`); got != "light" {
		t.Errorf("the choice is stored as %q, want light", got)
	}
	if got := eval[string](p, tidJS("theme-toggle")+`.getAttribute("aria-pressed")`); got != "false" {
		t.Errorf("the toggle's aria-pressed is %q in the light theme, want false", got)
	}
	p.shot("toggled-light")

	// remembered across a reload, from the first paint
	p.do("reload", chromedp.Reload())
	p.waitWorkspace()
	if got := eval[string](p, `window.__stator.themeAtBody + " " + document.documentElement.getAttribute("data-theme")`); got != "light light" {
		t.Errorf("after a reload the theme at first paint and now is %q, want light light", got)
	}
	if got := p.editorScheme(); got != "light" {
		t.Errorf("after a reload the editor is %s, want light", got)
	}

	// back to the system's theme: the choice is forgotten, the system followed
	p.click("theme-toggle")
	p.wait("the dark theme", `document.documentElement.getAttribute("data-theme") === "dark"`)
	if got := eval[bool](p, `localStorage.getItem("stator:theme") === null`); !got {
		t.Error("choosing the system's own theme keeps a stored choice")
	}
	p.emulateScheme("light")
	p.wait("the page to follow the system to light", `document.documentElement.getAttribute("data-theme") === "light"`)
	p.wait("the editor to follow the system to light", `getComputedStyle(document.querySelector("#editor .cm-editor")).getPropertyValue("--se-string").trim() === "#116329"`)
	p.checkSurfaces("light")
	p.noErrors()
}
