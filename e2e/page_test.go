package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Bounds of one browser step. Nothing in the app takes more than a fraction
// of a second; the bounds only keep a broken page from hanging the suite.
const (
	stepTimeout = 20 * time.Second
	waitTimeout = 15 * time.Second
)

// instrument runs in every document before the page's own scripts: it counts
// finished htmx swaps (so a test can wait for "the next answer" when the
// answer changes nothing it could poll for) and keeps uncaught errors.
const instrument = `(function () {
  window.__stator = {settled: 0, errors: [], requests: []};
  document.addEventListener("htmx:afterSettle", function () { window.__stator.settled++; });
  document.addEventListener("htmx:beforeRequest", function (e) {
    window.__stator.requests.push(e.detail.requestConfig.verb.toUpperCase() + " " + e.detail.requestConfig.path);
    if (e.detail.requestConfig.path === "/workspace/analyze") e.detail.requestConfig.elt.__statorText = document.getElementById("yaml-src").value;
  });
  // the text whose analysis is on the page now
  document.addEventListener("htmx:afterSettle", function (e) {
    var rc = e.detail.requestConfig;
    if (e.detail.target && e.detail.target.id === "analysis" && rc && rc.elt) window.__stator.analyzed = rc.elt.__statorText;
  });
  window.addEventListener("error", function (e) { window.__stator.errors.push(String(e.message)); });
  window.addEventListener("unhandledrejection", function (e) { window.__stator.errors.push("unhandled rejection: " + String(e.reason)); });
  // the theme when <body> first exists: what the first paint shows (scripts
  // with defer, and everything after, run later)
  var seen = new MutationObserver(function () {
    if (!document.body) return;
    window.__stator.themeAtBody = document.documentElement.getAttribute("data-theme") || "";
    seen.disconnect();
  });
  seen.observe(document, {childList: true, subtree: true});
})();`

// shots numbers the screenshots of one test across all its tabs and browsers.
type shots struct {
	dir string
	n   int
	mu  sync.Mutex
}

// newShots prepares artifacts/<test name>/ (emptied first, so that the files
// there are the last run's).
func newShots(t *testing.T) *shots {
	t.Helper()
	dir := filepath.Join(artifactDir, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &shots{dir: dir}
}

func (s *shots) next(step string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return filepath.Join(s.dir, fmt.Sprintf("%02d-%s.png", s.n, step))
}

// tab is one browser tab on the server under test.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots *shots

	mu      sync.Mutex
	console []string // console errors and uncaught exceptions
}

// openTab starts a tab in the browser of ctx (newBrowser) or, with fresh, in
// a new browser context of that browser: no cookies, no localStorage, as a
// person who gets a link would open it.
func openTab(t *testing.T, ctx context.Context, base string, sh *shots, fresh bool) *tab {
	t.Helper()
	if fresh {
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		// the first call opens the tab and binds its life to its context:
		// c itself, not a context with a step's timeout
		if err := chromedp.Do(c); err != nil {
			t.Fatalf("open a tab in a new browser context: %v", err)
		}
		ctx = c
	}
	p := &tab{t: t, ctx: ctx, base: base, shots: sh}
	if err := chromedp.Do(withTimeout(t, ctx, stepTimeout),
		chromedp.EmulateViewport(1280, 800),
		chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(c, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: instrument})
			return err
		})); err != nil {
		t.Fatalf("prepare the tab: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				p.mu.Lock()
				p.console = append(p.console, m.String())
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// tid selects an element by its data-testid.
func tid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// tidJS is the JavaScript expression for the first element with a data-testid.
func tidJS(id string) string { return fmt.Sprintf(`document.querySelector('[data-testid=%q]')`, id) }

// do runs browser steps, bounded; what names the step in a failure.
func (p *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := chromedp.Do(withTimeout(p.t, p.ctx, stepTimeout), steps...); err != nil {
		p.fail("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](p *tab, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(withTimeout(p.t, p.ctx, stepTimeout), chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// htmxIdle is true when htmx is not in the middle of a request or a swap.
// Between a swap and its settle the new content is in the page but htmx has
// not wired it yet: a click on a new submit button then would submit its
// form the old way (a page load) instead of through htmx.
const htmxIdle = `!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added")`

// wait polls a JavaScript condition until it is true and htmx is idle;
// what says what the test waits for.
func (p *tab) wait(what, cond string) {
	p.t.Helper()
	_, err := chromedp.Run(withTimeout(p.t, p.ctx, waitTimeout+5*time.Second),
		chromedp.Poll[chromedp.Void]("!!("+cond+") && "+htmxIdle, chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(waitTimeout)))
	if err != nil {
		p.fail("waiting for %s (%s): %v", what, cond, err)
	}
}

// fail ends the test with a screenshot of the page as it was.
func (p *tab) fail(format string, args ...any) {
	p.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if png, err := chromedp.Run(withTimeout(p.t, p.ctx, 5*time.Second), chromedp.CaptureScreenshot()); err == nil {
		name := p.shots.next("FAILED")
		if os.WriteFile(name, png, 0o644) == nil {
			msg += "\n(the page is in " + name + ")"
		}
	}
	if errs := p.errors(); len(errs) > 0 {
		msg += "\npage errors: " + strings.Join(errs, "; ")
	}
	p.t.Fatal(msg)
}

// shot saves the viewport as artifacts/<test>/<nn>-<step>.png.
func (p *tab) shot(step string) {
	p.t.Helper()
	png, err := chromedp.Run(withTimeout(p.t, p.ctx, stepTimeout), chromedp.CaptureScreenshot())
	if err != nil {
		p.fail("screenshot %s: %v", step, err)
	}
	if err := os.WriteFile(p.shots.next(step), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// open navigates to a path of the server (or a whole URL).
func (p *tab) open(path string) {
	p.t.Helper()
	url := path
	if strings.HasPrefix(path, "/") {
		url = p.base + path
	}
	p.do("open "+url, chromedp.Navigate(url))
}

// click clicks the element with a data-testid, as a person would (mouse),
// once htmx is idle.
func (p *tab) click(id string) {
	p.t.Helper()
	p.wait("htmx to be idle before clicking "+id, "true")
	p.do("click "+id, chromedp.Click(tid(id)))
}

// clickAndLoad clicks something that loads a new page (a link, a form's
// submit button) and waits for that page's load event.
func (p *tab) clickAndLoad(what string, sel chromedp.CSS) {
	p.t.Helper()
	_, err := chromedp.Run(withTimeout(p.t, p.ctx, stepTimeout), chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(sel)))
	if err != nil {
		p.fail("%s: %v", what, err)
	}
}

// text is the trimmed text of the element with a data-testid.
func (p *tab) text(id string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(function(){var e=%s;return e?e.textContent.trim():"<missing>"})()`, tidJS(id)))
}

// settled is how many htmx swaps finished in this document.
func (p *tab) settled() int {
	p.t.Helper()
	return eval[int](p, `window.__stator.settled`)
}

// waitSettled waits until more than n htmx swaps finished.
func (p *tab) waitSettled(what string, n int) {
	p.t.Helper()
	p.wait(what, fmt.Sprintf(`window.__stator.settled > %d`, n))
}

// requests are the htmx requests this document sent ("POST /path"),
// counted when they start.
func (p *tab) requests(prefix string) int {
	p.t.Helper()
	return eval[int](p, fmt.Sprintf(`window.__stator.requests.filter(function (r) { return r.indexOf(%s) === 0; }).length`, js(prefix)))
}

// rendered is the diagram's render counter.
func (p *tab) rendered() int {
	p.t.Helper()
	return eval[int](p, `Number(document.querySelector('[data-testid=diagram]').dataset.rendered)`)
}

// waitRendered waits until the diagram finished a render after render n.
func (p *tab) waitRendered(what string, n int) {
	p.t.Helper()
	p.wait(what, fmt.Sprintf(`Number(document.querySelector('[data-testid=diagram]').dataset.rendered) > %d`, n))
}

// errors are the page's uncaught errors and console errors so far.
func (p *tab) errors() []string {
	p.mu.Lock()
	out := append([]string(nil), p.console...)
	p.mu.Unlock()
	if js, err := chromedp.Run(withTimeout(p.t, p.ctx, 5*time.Second), chromedp.Evaluate[[]string](`window.__stator ? window.__stator.errors : []`)); err == nil {
		out = append(out, js...)
	}
	return out
}

// noErrors fails the test when the page logged an error or threw.
func (p *tab) noErrors() {
	p.t.Helper()
	if errs := p.errors(); len(errs) > 0 {
		p.t.Errorf("the page reported errors:\n  %s", strings.Join(errs, "\n  "))
	}
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
