package e2e

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumCandidates are the browser binaries tried in order when
// STATOR_CHROMIUM is not set. Debian installs Chromium as /usr/bin/chromium.
var chromiumCandidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// chromiumPath finds the browser: $STATOR_CHROMIUM, else the first candidate
// found on this machine, else "".
func chromiumPath() string {
	if p := os.Getenv("STATOR_CHROMIUM"); p != "" {
		return p
	}
	for _, c := range chromiumCandidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile in a temporary
// directory and returns a chromedp context for one tab in it. The browser is
// closed when the test ends. A missing browser fails the test (it never skips):
// the browser tests are part of the suite.
func newBrowser(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Fatalf("no Chromium found (tried $STATOR_CHROMIUM and %v); install it with `apt-get install -y chromium`", chromiumCandidates)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// Do with no steps starts the browser and opens the tab. It runs on ctx
	// itself: the first call binds the browser's life to its context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// withTimeout bounds one step of a browser test so that a page that never
// becomes ready fails the test instead of hanging it.
func withTimeout(t testing.TB, ctx context.Context, d time.Duration) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, d)
	t.Cleanup(cancel)
	return c
}
