package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

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
