package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/engine/enginetest"
)

const (
	staticDir   = "../web/static"
	goldenDir   = "../engine/testdata/golden"
	corpusDir   = "../engine/testdata/fuzz/FuzzMermaid"
	artifactDir = "artifacts"
)

// diagramPage is the test page: the vendored Mermaid, the page's diagram
// script and one diagram container, as the workspace has them.
const diagramPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>diagram test</title>
<style>body{margin:0;font-family:sans-serif;background:#fff} #diagram{padding:8px;width:1200px}</style>
</head><body>
<div id="diagram" data-testid="diagram" data-rendered="0"></div>
<script src="/static/vendor/mermaid.min.js"></script>
<script src="/static/js/diagram.js"></script>
<script>
window.__xss = false;
window.alert = window.confirm = window.prompt = function () { window.__xss = true; };
// draw starts a render and returns at once; the test waits for data-rendered.
window.draw = function (src, opts) {
  var el = document.getElementById("diagram");
  var p = src.url ? fetch(src.url).then(function (r) { return r.text(); }) : Promise.resolve(src.text);
  p.then(function (text) { return StatorDiagram.render(el, text, opts); });
  return true;
};
// report says what the rendered SVG shows of the given node ids.
window.report = function (ids, highlight) {
  var el = document.getElementById("diagram");
  var svg = el.querySelector("svg");
  if (!svg) return {error: el.getAttribute("data-error") || "", missing: ids, svg: ""};
  var nodes = StatorDiagram.nodeElements(svg);
  var active = Array.from(svg.querySelectorAll(".stator-active")).map(function (g) {
    return g.getAttribute("data-id") || g.id.replace(svg.id + "-state-", "").replace(/-\d+$/, "");
  });
  return {
    error: el.getAttribute("data-error") || "",
    missing: ids.filter(function (id) { return !nodes.has(id); }),
    unhighlighted: highlight.filter(function (id) { return active.indexOf(id) < 0; }),
    highlighted: active.length,
    badges: svg.querySelectorAll("g.stator-count").length,
    markup: svg.querySelectorAll("script, iframe, img, object, embed, a[href], [onerror], [onload]").length,
    text: svg.textContent,
    xss: window.__xss,
    svg: StatorDiagram.svg(el).length
  };
};
</script>
</body></html>`

// diagramServer serves web/static, the golden diagrams and the test page.
func diagramServer(t *testing.T) *httptest.Server {
	t.Helper()
	for _, p := range []string{filepath.Join(staticDir, "vendor", "mermaid.min.js"), filepath.Join(staticDir, "js", "diagram.js")} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("missing %s: %v", p, err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.Dir(staticDir))))
	mux.Handle("/golden/", http.StripPrefix("/golden/", http.FileServer(http.Dir(goldenDir))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(diagramPage))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// diagramReport is what window.report returns.
type diagramReport struct {
	Error         string   `json:"error"`
	Missing       []string `json:"missing"`
	Unhighlighted []string `json:"unhighlighted"`
	Highlighted   int      `json:"highlighted"`
	Badges        int      `json:"badges"`
	Markup        int      `json:"markup"`
	Text          string   `json:"text"`
	XSS           bool     `json:"xss"`
	SVG           int      `json:"svg"`
}

// diagramTab opens the test page in a new browser tab.
func diagramTab(t *testing.T) (context.Context, *httptest.Server) {
	t.Helper()
	srv := diagramServer(t)
	ctx := newBrowser(t)
	if err := chromedp.Do(withTimeout(t, ctx, 30*time.Second), chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("open the test page: %v", err)
	}
	return ctx, srv
}

// renderAndWait starts a render of src ({url} or {text}) and waits until the
// container's data-rendered counter reaches want.
func renderAndWait(t *testing.T, ctx context.Context, src map[string]string, opts map[string]any, want int) {
	t.Helper()
	srcJSON, _ := json.Marshal(src)
	optsJSON, _ := json.Marshal(opts)
	c := withTimeout(t, ctx, 60*time.Second)
	if _, err := chromedp.Run(c, chromedp.Evaluate[bool](fmt.Sprintf("draw(%s, %s)", srcJSON, optsJSON))); err != nil {
		t.Fatalf("start the render: %v", err)
	}
	expr := fmt.Sprintf(`Number(document.getElementById("diagram").dataset.rendered) >= %d`, want)
	if _, err := chromedp.Run(c, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(45*time.Second))); err != nil {
		t.Fatalf("waiting for render %d: %v", want, err)
	}
}

func reportOf(t *testing.T, ctx context.Context, ids, highlight []string) diagramReport {
	t.Helper()
	if ids == nil {
		ids = []string{}
	}
	if highlight == nil {
		highlight = []string{}
	}
	idsJSON, _ := json.Marshal(ids)
	hlJSON, _ := json.Marshal(highlight)
	r, err := chromedp.Run(withTimeout(t, ctx, 30*time.Second), chromedp.Evaluate[diagramReport](fmt.Sprintf("report(%s, %s)", idsJSON, hlJSON)))
	if err != nil {
		t.Fatalf("read the diagram: %v", err)
	}
	return r
}

// screenshot saves the diagram as artifacts/<name>.png for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(withTimeout(t, ctx, 30*time.Second), chromedp.Screenshot(chromedp.CSS("#diagram")))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(artifactDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(artifactDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// goldenSource finds the machine a golden diagram was made from.
func goldenSource(t *testing.T, file string) *engine.Machine {
	t.Helper()
	base := strings.SplitN(strings.TrimSuffix(file, ".mmd"), ".", 2)[0]
	var text []byte
	var err error
	switch {
	case strings.HasPrefix(base, "conformance_"):
		files, lerr := enginetest.Load("../engine/testdata/conformance")
		if lerr != nil {
			t.Fatal(lerr)
		}
		for _, f := range files {
			if "conformance_"+strings.TrimSuffix(f.Name, ".yaml") == base {
				text = []byte(f.Machine)
			}
		}
	case strings.HasPrefix(base, "example_"):
		text, err = os.ReadFile(filepath.Join("../web/examples", strings.TrimPrefix(base, "example_")+".yaml"))
	case strings.HasPrefix(base, "adversarial_"):
		text, err = os.ReadFile(filepath.Join("../engine/testdata/diagram", strings.TrimPrefix(base, "adversarial_")+".yaml"))
	}
	if err != nil || text == nil {
		t.Fatalf("no source machine for %s: %v", file, err)
	}
	m, _, err := engine.Load(text)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return m
}

// activeExample picks a state to highlight: the deepest state, and inside a
// parallel state a configuration with that state in its region and the
// other regions at their initial states.
func activeExample(m *engine.Machine) string {
	def := m.Definition()
	depth := func(s string) int {
		d := 0
		for ; s != ""; s = m.Parent(s) {
			d++
		}
		return d
	}
	deepest := def.States[0].Name
	for _, s := range def.States {
		if depth(s.Name) > depth(deepest) {
			deepest = s.Name
		}
	}
	for a := deepest; a != ""; a = m.Parent(a) {
		for _, s := range def.States {
			if s.Name != a || s.Type != engine.StateParallel {
				continue
			}
			var parts []string
			for _, r := range s.Regions {
				pick := r.Initial
				for _, rs := range r.States {
					if m.IsActive(deepest, rs) {
						pick = deepest
					}
				}
				parts = append(parts, r.Name+"="+pick)
			}
			sort.Strings(parts)
			return a + ":" + strings.Join(parts, ",")
		}
	}
	return deepest
}

func nodeIDs(m *engine.Machine) []string {
	var ids []string
	for _, s := range m.StateNames() {
		ids = append(ids, engine.StateNodeID(s))
	}
	return ids
}

// TestDiagramGoldenInBrowser renders every golden .mmd with the vendored
// Mermaid through StatorDiagram.render, highlighting a state (inside
// composites and regions where the machine has them) and drawing count
// badges, and fails on a Mermaid error, a state missing from the SVG, a
// highlight not applied, or markup in the SVG.
func TestDiagramGoldenInBrowser(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.mmd"))
	if err != nil || len(files) < 15 {
		t.Fatalf("golden diagrams: %v (%d files)", err, len(files))
	}
	ctx, _ := diagramTab(t)
	rendered := 0
	for _, path := range files {
		file := filepath.Base(path)
		t.Run(file, func(t *testing.T) {
			m := goldenSource(t, file)
			active := activeExample(m)
			highlight, err := m.Highlight(active)
			if err != nil {
				t.Fatalf("Highlight(%q): %v", active, err)
			}
			names := m.StateNames()
			counts := map[string]int{names[0]: 3, names[len(names)-1]: 12}
			rendered++
			renderAndWait(t, ctx, map[string]string{"url": "/golden/" + file},
				map[string]any{"highlight": highlight, "counts": counts}, rendered)
			r := reportOf(t, ctx, nodeIDs(m), highlight)
			screenshot(t, ctx, strings.TrimSuffix(file, ".mmd"))
			if r.Error != "" {
				t.Fatalf("Mermaid failed: %s", r.Error)
			}
			if len(r.Missing) > 0 {
				t.Errorf("states missing from the SVG: %v", r.Missing)
			}
			if len(r.Unhighlighted) > 0 || r.Highlighted < len(highlight) {
				t.Errorf("highlight %v (%s): not applied to %v; %d elements marked", highlight, active, r.Unhighlighted, r.Highlighted)
			}
			if r.Badges < 2 {
				t.Errorf("%d count badges, want 2", r.Badges)
			}
			if r.Markup > 0 || r.XSS {
				t.Errorf("the SVG holds %d markup elements (xss %v)", r.Markup, r.XSS)
			}
			if r.SVG == 0 {
				t.Error("StatorDiagram.svg returned nothing")
			}
		})
	}
}

// TestDiagramAdversarialInBrowser renders the committed FuzzMermaid seeds
// (machines full of text that looks like Mermaid syntax, markdown, HTML,
// entity codes and odd unicode) and checks that each renders, shows all its
// states, runs no script and shows the hostile text as text.
func TestDiagramAdversarialInBrowser(t *testing.T) {
	seeds, err := enginetest.ReadDiagramCorpus(corpusDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) < 5 {
		t.Fatalf("only %d seeds in %s", len(seeds), corpusDir)
	}
	ctx, _ := diagramTab(t)
	for i, s := range seeds {
		t.Run(s.Name, func(t *testing.T) {
			m, problems, err := engine.LoadMap(enginetest.DiagramMachine(s.Input))
			if err != nil {
				t.Fatalf("seed does not load: %v", problems)
			}
			src := m.Mermaid(seedOptions(s.Bits))
			highlight, err := m.Highlight("state:left=class,right=click")
			if err != nil {
				t.Fatal(err)
			}
			renderAndWait(t, ctx, map[string]string{"text": src}, map[string]any{"highlight": highlight,
				"counts": map[string]int{"click": 1, enginetest.DiagramStateName(s.Input.StateName) + "_start": 2}}, i+1)
			r := reportOf(t, ctx, nodeIDs(m), highlight)
			screenshot(t, ctx, "seed_"+s.Name)
			if r.Error != "" {
				t.Fatalf("Mermaid failed: %s\n%s", r.Error, src)
			}
			if len(r.Missing) > 0 {
				t.Errorf("states missing from the SVG: %v", r.Missing)
			}
			if len(r.Unhighlighted) > 0 {
				t.Errorf("highlight not applied to %v", r.Unhighlighted)
			}
			if r.Markup > 0 || r.XSS {
				t.Errorf("the SVG holds %d markup elements (xss %v)", r.Markup, r.XSS)
			}
			// the label shows the guard as written: the literal with the
			// expression language's escapes; a word joiner may split
			// Mermaid's placeholder characters
			text := strings.ReplaceAll(r.Text, "\u2060", "")
			lit := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s.Input.Literal)
			if s.Bits&1 != 0 && isPrintable(lit) && !strings.Contains(text, lit) {
				t.Errorf("the guard's literal %q is not shown as text in %q", lit, r.Text)
			}
		})
	}
}

// isPrintable reports text that the diagram shows unchanged (no control
// characters or invalid UTF-8, which the escaper replaces).
func isPrintable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r < 0xa0 || r == 0xfffd {
			return false
		}
	}
	return !strings.Contains(s, "  ")
}

// seedOptions turns a seed's bits into diagram options, as FuzzMermaid does.
func seedOptions(bits int) engine.DiagramOptions {
	if bits < 0 {
		bits = -bits
	}
	return engine.DiagramOptions{Guards: bits&1 != 0, Actions: bits&2 != 0, Descriptions: bits&4 != 0,
		Direction: enginetest.DiagramDirections[(bits>>3)%len(enginetest.DiagramDirections)]}
}

// TestDiagramRenderErrors checks the error protocol: a failed render sets
// data-error, keeps and dims the last SVG and still counts as a render; the
// next good render clears it. Re-rendering the same text only re-marks it.
func TestDiagramRenderErrors(t *testing.T) {
	ctx, _ := diagramTab(t)
	good, err := os.ReadFile(filepath.Join(goldenDir, "example_order_management.mmd"))
	if err != nil {
		t.Fatal(err)
	}
	renderAndWait(t, ctx, map[string]string{"text": string(good)}, map[string]any{"highlight": []string{"s_open_"}}, 1)
	first := reportOf(t, ctx, nil, []string{"s_open_"})
	if first.Error != "" || first.SVG == 0 || len(first.Unhighlighted) > 0 {
		t.Fatalf("first render: %+v", first)
	}

	renderAndWait(t, ctx, map[string]string{"text": "stateDiagram-v2\n    s_a_ --> : : :\n    state {{{\n"}, nil, 2)
	bad := reportOf(t, ctx, nil, nil)
	if bad.Error == "" {
		t.Error("a failed render left data-error empty")
	}
	if bad.SVG != first.SVG {
		t.Errorf("the previous SVG was not kept (%d bytes, was %d)", bad.SVG, first.SVG)
	}
	stale, err := chromedp.Run(withTimeout(t, ctx, 10*time.Second), chromedp.Evaluate[bool](
		`document.getElementById("diagram").classList.contains("stator-diagram-stale")`))
	if err != nil || !stale {
		t.Errorf("the kept SVG is not dimmed (%v)", err)
	}

	renderAndWait(t, ctx, map[string]string{"text": string(good)}, map[string]any{"highlight": []string{"s_filled_"}}, 3)
	again := reportOf(t, ctx, nil, []string{"s_filled_"})
	if again.Error != "" || len(again.Unhighlighted) > 0 || again.Highlighted != 1 {
		t.Errorf("after a good render: %+v", again)
	}
	stale, _ = chromedp.Run(withTimeout(t, ctx, 10*time.Second), chromedp.Evaluate[bool](
		`document.getElementById("diagram").classList.contains("stator-diagram-stale")`))
	if stale {
		t.Error("still dimmed after a good render")
	}

	// several renders in a row: the last one wins, the counter still rises
	script := fmt.Sprintf(`(function(){var el=document.getElementById("diagram");var s=%q;
		StatorDiagram.render(el, s, {highlight:["s_open_"]});
		StatorDiagram.render(el, s + "\n", {highlight:["s_rejected_"]});
		StatorDiagram.render(el, s, {highlight:["s_canceled_"]});
		return true})()`, string(good))
	if _, err := chromedp.Run(withTimeout(t, ctx, 10*time.Second), chromedp.Evaluate[bool](script)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(withTimeout(t, ctx, 45*time.Second), chromedp.Poll[bool](
		`Number(document.getElementById("diagram").dataset.rendered) >= 5 && document.querySelectorAll("#diagram .stator-active").length === 1 && !!document.querySelector("#diagram [id*='-state-s_canceled_-'].stator-active")`,
		chromedp.WithPollingTimeout(40*time.Second))); err != nil {
		t.Errorf("the latest of several renders did not win: %v", err)
	}
	exported, err := chromedp.Run(withTimeout(t, ctx, 10*time.Second), chromedp.Evaluate[string](`StatorDiagram.svg(document.getElementById("diagram"))`))
	if err != nil || !strings.HasPrefix(exported, "<svg") || !strings.Contains(exported, "pending_new") {
		t.Errorf("StatorDiagram.svg: %.80q, %v", exported, err)
	}
}
