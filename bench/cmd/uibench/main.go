// Command uibench measures the workspace's diagram in a real browser against
// SPEC 10's browser budgets: it starts the built server on a free loopback
// port with a fresh database, creates the test machines through the API, and
// opens each in headless Chromium (chromedp). For each machine it reports
//
//   - first diagram: from the start of navigation to the first finished
//     render (the diagram's data-rendered counter), and whether that render
//     drew the machine, failed (data-error) or drew an error box;
//
//   - typing: keys typed in bursts into an action name (so that every key
//     changes a transition label and the diagram must be redrawn), with the
//     longest wait of a key (Event Timing: from the key press to the next
//     paint after its handler; and the CDP round trip of dispatching it) and
//     the longest main-thread task (Long Tasks API) from the first key until
//     the diagram shows the final text;
//
//   - redraw: from the last key to the render that shows the final text;
//
//   - pan/zoom (when the page has the zoom buttons): wheel zooms and drags
//     over the diagram, the longest task meanwhile, and whether any of it
//     re-rendered.
//
//     go build -o bin/stator ./cmd/web && cd bench && go run ./cmd/uibench --bin ../bin/stator
//
// It is a measurement, not a test: it prints numbers and fails only when the
// page cannot be driven. Every request goes to the server it started.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

type config struct {
	bin      string
	chromium string
	examples string
	cases    string
	layout   string
	keep     bool
	runs     int
	noDraw   bool
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "../bin/stator", "the server binary (go build -o bin/stator ./cmd/web)")
	flag.StringVar(&c.chromium, "chromium", "", "the browser (default: $STATOR_CHROMIUM, else chromium on $PATH)")
	flag.StringVar(&c.examples, "examples", "../web/examples", "the folder with order_management.yaml")
	flag.StringVar(&c.cases, "cases", "order,compound300,flat1000", "machines to measure, comma-separated")
	flag.StringVar(&c.layout, "layout", "", "diagram layout to choose before measuring (dagre or elk; empty: the page's default)")
	flag.IntVar(&c.runs, "runs", 1, "measurements per machine (each in a fresh browser)")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (database and server log)")
	flag.BoolVar(&c.noDraw, "no-draw", false, "while typing, do not redraw the diagram (to see what the rest of the page costs)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "uibench:", err)
		os.Exit(1)
	}
}

// benchCase is one machine to open.
type benchCase struct {
	name, yaml string
}

func cases(c config) ([]benchCase, error) {
	var out []benchCase
	for _, name := range strings.Split(c.cases, ",") {
		switch strings.TrimSpace(name) {
		case "order":
			b, err := os.ReadFile(filepath.Join(c.examples, "order_management.yaml"))
			if err != nil {
				return nil, err
			}
			// the server seeds the example: measure a copy of it under another version
			text := strings.Replace(string(b), `version: "1.0.0"`, `version: "bench"`, 1)
			out = append(out, benchCase{"order example (7 states, 9 transitions)", text})
		case "compound300":
			out = append(out, benchCase{"300 states in 30 compounds, 600 transitions", generated("gen_compound_300", 300, 2)})
		case "flat1000":
			out = append(out, benchCase{"1,000 states in 100 compounds, 3,000 transitions", generated("gen_1000", 1000, 3)})
		case "":
		default:
			return nil, fmt.Errorf("unknown case %q (order, compound300, flat1000)", name)
		}
	}
	return out, nil
}

// generated builds n states in chains of ten under compound parents (the
// shape of the engine's load benchmark), with perState transitions per state:
// next (with an action), a guarded jump, and back to s0.
func generated(name string, n, perState int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "meta: {machine_name: %s}\nstates:\n  - {name: s0, type: initial}\n", name)
	for i := 1; i < n; i++ {
		switch {
		case i%10 == 1:
			fmt.Fprintf(&b, "  - {name: s%d, initial_child: s%d}\n", i, i+1)
		case (i-1)%10 != 0:
			fmt.Fprintf(&b, "  - {name: s%d, parent: s%d}\n", i, i-(i-1)%10)
		}
	}
	b.WriteString("transitions:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - {trigger: next, source: s%d, dest: s%d, actions: [step]}\n", i, (i+1)%n)
		if perState >= 2 {
			fmt.Fprintf(&b, "  - {trigger: jump, source: s%d, dest: s%d, guards: [{expr: \"x > %d\"}]}\n", i, (i*7+3)%n, i%50)
		}
		if perState >= 3 {
			fmt.Fprintf(&b, "  - {trigger: back, source: s%d, dest: s0}\n", i)
		}
	}
	return b.String()
}

func run(c config) error {
	list, err := cases(c)
	if err != nil {
		return err
	}
	browser := c.chromium
	if browser == "" {
		browser = os.Getenv("STATOR_CHROMIUM")
	}
	if browser == "" {
		for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if path, err := exec.LookPath(p); err == nil {
				browser = path
				break
			}
		}
	}
	if browser == "" {
		return errors.New("no Chromium found: pass --chromium or set STATOR_CHROMIUM")
	}
	dir, err := os.MkdirTemp("", "stator-uibench-")
	if err != nil {
		return err
	}
	if c.keep {
		fmt.Println("temporary directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	srv, err := startServer(c.bin, dir)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("machine: %d CPUs, load average %s; server %s; browser %s\n", runtime.NumCPU(), loadAvg(), srv.url, browser)
	defer func() { fmt.Printf("\nload average at the end: %s\n", loadAvg()) }()

	for _, bc := range list {
		id, err := createMachine(srv.url, bc.yaml)
		if err != nil {
			return fmt.Errorf("%s: %w", bc.name, err)
		}
		for r := 0; r < c.runs; r++ {
			res, err := measure(browser, srv.url+"/machines/"+id, c.layout, dir, c.noDraw)
			if err != nil {
				return fmt.Errorf("%s: %w", bc.name, err)
			}
			fmt.Printf("\n== %s (%d bytes of YAML)%s\n", bc.name, len(bc.yaml), runLabel(r, c.runs))
			res.print()
		}
	}
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func runLabel(r, n int) string {
	if n == 1 {
		return ""
	}
	return fmt.Sprintf(", run %d of %d", r+1, n)
}

// instrument runs in the page before its scripts: it records long tasks,
// key event timings, and every finished render with the text it showed.
const instrument = `(function () {
  var B = window.__bench = {longtasks: [], events: [], renders: [], want: null};
  try {
    new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) { B.longtasks.push({start: e.startTime, dur: e.duration}); }); })
      .observe({type: "longtask", buffered: true});
  } catch (e) { B.noLongtasks = String(e); }
  try {
    new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) {
      B.events.push({name: e.name, start: e.startTime, dur: e.duration, delay: e.processingEnd - e.startTime});
    }); }).observe({type: "event", durationThreshold: 16, buffered: true});
  } catch (e) { B.noEvents = String(e); }
  B.frames = [];
  try {
    // Long Animation Frames say which scripts a long frame ran
    new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) {
      B.frames.push({start: e.startTime, dur: e.duration,
        layout: e.styleAndLayoutStart ? e.startTime + e.duration - e.styleAndLayoutStart : 0,
        render: e.renderStart ? e.startTime + e.duration - e.renderStart : 0,
        scripts: (e.scripts || []).map(function (x) {
        return {dur: x.duration, src: (x.sourceURL || "").replace(/^.*\//, ""), invoker: x.invoker || ""};
      })});
    }); }).observe({type: "long-animation-frame", buffered: true});
  } catch (e) { B.noFrames = String(e); }
  function watch() {
    var el = document.getElementById("diagram");
    if (!el) { requestAnimationFrame(watch); return; }
    new MutationObserver(function () {
      var svg = el.querySelector("svg");
      var text = svg ? svg.textContent : "";
      B.renders.push({t: performance.now(), n: Number(el.dataset.rendered), error: el.getAttribute("data-error") || "",
        box: /Syntax error|Maximum text size|mermaid version/.test(text),
        overview: !!el.getAttribute("data-overview"), overviewKind: el.getAttribute("data-overview") || "",
        nodes: svg ? svg.querySelectorAll("g.node, g[id*='-state-']").length : 0,
        // the final text is drawn: the SVG shows it, or (an overview without
        // labels) the page drew the analysis of it and has nothing pending
        wanted: B.want ? text.indexOf(B.want) >= 0 || (!!el.getAttribute("data-overview") && !!window.StatorWorkspace && !!StatorWorkspace.analysis &&
          (StatorWorkspace.analysis.mermaid || "").indexOf(B.want) >= 0 && !el.classList.contains("stator-busy") && !el.getAttribute("data-error")) : false});
    }).observe(el, {attributes: true, attributeFilter: ["data-rendered"]});
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch); else watch();
})();`

type renderMark struct {
	T            float64 `json:"t"`
	N            int     `json:"n"`
	Error        string  `json:"error"`
	Box          bool    `json:"box"`
	Overview     bool    `json:"overview"`
	OverviewKind string  `json:"overviewKind"`
	Nodes        int     `json:"nodes"`
	Wanted       bool    `json:"wanted"`
}

type span struct {
	Start float64 `json:"start"`
	Dur   float64 `json:"dur"`
}

type eventTiming struct {
	Name  string  `json:"name"`
	Start float64 `json:"start"`
	Dur   float64 `json:"dur"`
	Delay float64 `json:"delay"`
}

type frameScript struct {
	Dur     float64 `json:"dur"`
	Src     string  `json:"src"`
	Invoker string  `json:"invoker"`
}

type longFrame struct {
	Start   float64       `json:"start"`
	Dur     float64       `json:"dur"`
	Layout  float64       `json:"layout"` // from styleAndLayoutStart to the frame's end
	Render  float64       `json:"render"` // from renderStart to the frame's end
	Scripts []frameScript `json:"scripts"`
}

type benchState struct {
	Frames    []longFrame   `json:"frames"`
	Longtasks []span        `json:"longtasks"`
	Events    []eventTiming `json:"events"`
	Renders   []renderMark  `json:"renders"`
	Now       float64       `json:"now"`
}

type result struct {
	first          renderMark
	firstErr       string
	loadLongest    float64
	keys           int
	keyMaxRTT      time.Duration
	keyMaxWait     float64 // Event Timing duration, ms
	keyMaxDelay    float64
	typingLongest  float64
	typingBlame    string // the scripts of the longest animation frame while typing
	typingTasks    int
	redraw         float64 // ms from the last key to the final render
	redrawMark     renderMark
	rendersTyping  int
	panZoom        bool
	panZoomLongest float64
	panZoomRenders int
	zoomBefore     string
	zoomAfter      string
}

func (r result) print() {
	state := "drawn"
	switch {
	case r.firstErr != "":
		state = "no render: " + r.firstErr
	case r.first.Error != "":
		state = "data-error: " + r.first.Error
	case r.first.Box:
		state = "Mermaid error box in the SVG, data-error not set"
	case r.first.Overview:
		state = "drawn as " + r.first.OverviewKind
	}
	fmt.Printf("first diagram       %7.0f ms after navigation start (%s, %d node groups)\n", r.first.T, state, r.first.Nodes)
	fmt.Printf("  longest task while loading %6.0f ms\n", r.loadLongest)
	if r.keys == 0 {
		return
	}
	fmt.Printf("typing (%d keys)    longest key wait %4.0f ms (Event Timing: press until handled; until the next paint %.0f ms), longest CDP dispatch %s\n",
		r.keys, r.keyMaxDelay, r.keyMaxWait, r.keyMaxRTT.Round(time.Millisecond))
	fmt.Printf("  longest task from the first key to the final redraw %6.0f ms (%d tasks over 50 ms, %d renders)\n", r.typingLongest, r.typingTasks, r.rendersTyping)
	if r.typingBlame != "" {
		fmt.Printf("  longest animation frame meanwhile: %s\n", r.typingBlame)
	}
	if r.redraw >= 0 {
		extra := ""
		if r.redrawMark.Error != "" {
			extra = " (data-error: " + r.redrawMark.Error + ")"
		} else if r.redrawMark.Overview {
			extra = " (" + r.redrawMark.OverviewKind + ")"
		}
		fmt.Printf("redraw              %7.0f ms from the last key to the diagram showing it%s\n", r.redraw, extra)
	} else {
		fmt.Printf("redraw              never showed the final text within the time limit\n")
	}
	if r.panZoom {
		fmt.Printf("pan/zoom            longest task %4.0f ms, re-renders %d, data-zoom %s -> %s\n", r.panZoomLongest, r.panZoomRenders, r.zoomBefore, r.zoomAfter)
	}
}

func measure(browser, url, layout, dir string, noDraw bool) (result, error) {
	res := result{redraw: -1}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(filepath.Join(dir, fmt.Sprintf("profile-%d", time.Now().UnixNano()))),
		chromedp.WindowSize(1280, 800),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		return res, fmt.Errorf("start Chromium: %w", err)
	}
	step := func(d time.Duration) context.Context {
		c, cancel := context.WithTimeout(ctx, d)
		_ = cancel // released when ctx ends
		return c
	}
	if err := chromedp.Do(step(20*time.Second),
		chromedp.EmulateViewport(1280, 800),
		chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(c, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: instrument})
			return err
		})); err != nil {
		return res, err
	}
	if layout != "" {
		// the page keeps the choice in localStorage: set it on the origin first
		if err := chromedp.Do(step(30*time.Second), chromedp.Navigate(strings.SplitN(url, "/machines/", 2)[0]+"/health")); err != nil {
			return res, err
		}
		if _, err := chromedp.Run(step(10*time.Second), chromedp.Evaluate[bool](fmt.Sprintf(`localStorage.setItem("stator:diagram-layout", %q), true`, layout))); err != nil {
			return res, err
		}
	}
	// navigate without waiting for the load event (a page busy drawing may
	// hold it back): the first render is what is measured
	if err := chromedp.Do(step(30*time.Second), chromedp.Func(func(c context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(c, tg, page.Navigate, page.NavigateParams{URL: url})
		return err
	})); err != nil {
		return res, fmt.Errorf("open %s: %w", url, err)
	}
	// poll from Go: a poll in the page dies with the page it started in
	for deadline := time.Now().Add(85 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		done, err := chromedp.Run(step(5*time.Second), chromedp.Evaluate[bool](`location.pathname.indexOf("/machines/") === 0 && !!window.__bench && __bench.renders.length > 0`))
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			res.firstErr = "no finished render within 85 s"
			return res, nil
		}
	}
	// let the load settle: no long task for a second
	st, err := settle(ctx, step)
	if err != nil {
		return res, err
	}
	res.first = st.Renders[0]
	res.loadLongest = longest(st.Longtasks, 0, st.Now)

	// typing: bursts of keys into the first action name
	ok, err := chromedp.Run(step(10*time.Second), chromedp.Evaluate[bool](`(function(){
	  var ws = window.StatorWorkspace; if (!ws || !ws.editor) return false;
	  var v = ws.editor.view, text = v.state.doc.toString(), i = text.indexOf("actions: [");
	  if (i < 0) return false;
	  v.dispatch({selection: {anchor: i + 10}}); v.focus(); return true })()`))
	if err != nil || !ok {
		return res, fmt.Errorf("put the cursor in the editor: %v", err)
	}
	if noDraw {
		if _, err := chromedp.Run(step(10*time.Second), chromedp.Evaluate[bool](`StatorDiagram.render = function () { return Promise.resolve(true) }, true`)); err != nil {
			return res, err
		}
	}
	typed := "zqxwvuykjh"
	bursts := []string{"zqx", "wvuy", "kjh"}
	if _, err := chromedp.Run(step(10*time.Second), chromedp.Evaluate[bool](`__bench.want = `+jsString(typed)+`, __bench.t0 = performance.now(), true`)); err != nil {
		return res, err
	}
	t0, err := chromedp.Run(step(10*time.Second), chromedp.Evaluate[float64](`__bench.t0`))
	if err != nil {
		return res, err
	}
	for b, burst := range bursts {
		for _, r := range burst {
			start := time.Now()
			if err := chromedp.Do(step(60*time.Second), chromedp.KeyEvent(string(r))); err != nil {
				return res, fmt.Errorf("type: %w", err)
			}
			if d := time.Since(start); d > res.keyMaxRTT {
				res.keyMaxRTT = d
			}
			res.keys++
			time.Sleep(120 * time.Millisecond)
		}
		if b < len(bursts)-1 {
			time.Sleep(700 * time.Millisecond) // a pause: the page starts a redraw, then typing goes on
		}
	}
	lastKey, err := chromedp.Run(step(60*time.Second), chromedp.Evaluate[float64](`(function(){
	  var k = __bench.events.filter(function(e){return e.name === "keydown"}); return k.length ? k[k.length-1].start : performance.now() })()`))
	if err != nil {
		return res, err
	}
	_, _ = chromedp.Run(step(125*time.Second), chromedp.Poll[bool](`__bench.renders.some(function(r){return r.wanted})`, chromedp.WithPollingTimeout(120*time.Second)))
	st, err = settle(ctx, step)
	if err != nil {
		return res, err
	}
	end := st.Now
	for _, m := range st.Renders {
		if m.T > t0 {
			res.rendersTyping++
		}
		if m.Wanted && res.redraw < 0 {
			res.redraw = m.T - lastKey
			res.redrawMark = m
			end = m.T
		}
	}
	res.typingLongest = longest(st.Longtasks, t0, end+50)
	res.typingBlame = blame(st.Frames, t0, end+50)
	for _, s := range st.Longtasks {
		if s.Start+s.Dur > t0 && s.Start < end+50 {
			res.typingTasks++
		}
	}
	for _, e := range st.Events {
		if e.Start < t0 || (e.Name != "keydown" && e.Name != "keypress" && e.Name != "keyup" && e.Name != "beforeinput" && e.Name != "input") {
			continue
		}
		res.keyMaxWait = max(res.keyMaxWait, e.Dur)
		res.keyMaxDelay = max(res.keyMaxDelay, e.Delay)
	}

	// pan and zoom, when the page has a viewport
	has, _ := chromedp.Run(step(10*time.Second), chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="diagram-zoom-in"]')`))
	if has {
		res.panZoom = true
		before, err := chromedp.Run(step(10*time.Second), chromedp.Evaluate[[]float64](`(function(){var r=document.getElementById("diagram").getBoundingClientRect();
		  return [r.left + r.width/2, r.top + r.height/2, performance.now(), Number(document.getElementById("diagram").dataset.rendered)]})()`))
		if err != nil {
			return res, err
		}
		res.zoomBefore, _ = chromedp.Run(step(10*time.Second), chromedp.Evaluate[string](`document.getElementById("diagram").dataset.zoom || ""`))
		x, y := before[0], before[1]
		for i := 0; i < 10; i++ {
			if err := chromedp.Do(step(30*time.Second), chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, x, y, func(p *input.DispatchMouseEventParams) { p.DeltaX, p.DeltaY = 0.01, -120 })); err != nil {
				return res, err
			}
		}
		drag := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1))}
		for i := 1; i <= 10; i++ {
			drag = append(drag, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+float64(i*12), y+float64(i*6), chromedp.ButtonLeft))
		}
		drag = append(drag, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x+120, y+60, chromedp.ButtonLeft, chromedp.ClickCount(1)))
		if err := chromedp.Do(step(30*time.Second), drag...); err != nil {
			return res, err
		}
		st, err = settle(ctx, step)
		if err != nil {
			return res, err
		}
		res.panZoomLongest = longest(st.Longtasks, before[2], st.Now)
		after, _ := chromedp.Run(step(10*time.Second), chromedp.Evaluate[float64](`Number(document.getElementById("diagram").dataset.rendered)`))
		res.panZoomRenders = int(after - before[3])
		res.zoomAfter, _ = chromedp.Run(step(10*time.Second), chromedp.Evaluate[string](`document.getElementById("diagram").dataset.zoom || ""`))
	}
	return res, nil
}

// settle waits until the page has run no long task for a second and htmx is
// idle, and returns what the page recorded.
func settle(ctx context.Context, step func(time.Duration) context.Context) (benchState, error) {
	deadline := time.Now().Add(120 * time.Second)
	for {
		st, err := chromedp.Run(step(120*time.Second), chromedp.Evaluate[benchState](`(function(){var B=__bench;return {frames:B.frames,longtasks:B.longtasks,events:B.events,renders:B.renders,now:performance.now()}})()`))
		if err != nil {
			return st, err
		}
		quiet := true
		for _, s := range st.Longtasks {
			if s.Start+s.Dur > st.Now-1000 {
				quiet = false
			}
		}
		busy, _ := chromedp.Run(step(60*time.Second), chromedp.Evaluate[bool](`!!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")`))
		if quiet && !busy && st.Now > 1000 {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, nil
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func longest(tasks []span, from, to float64) float64 {
	m := 0.0
	for _, s := range tasks {
		if s.Start+s.Dur > from && s.Start < to {
			m = max(m, s.Dur)
		}
	}
	return m
}

// blame describes the longest animation frame between from and to by the
// scripts it ran (file and what called them), longest first.
func blame(frames []longFrame, from, to float64) string {
	var worst *longFrame
	for i := range frames {
		f := &frames[i]
		if f.Start+f.Dur > from && f.Start < to && (worst == nil || f.Dur > worst.Dur) {
			worst = f
		}
	}
	if worst == nil {
		return ""
	}
	scripts := append([]frameScript(nil), worst.Scripts...)
	sort.Slice(scripts, func(i, j int) bool { return scripts[i].Dur > scripts[j].Dur })
	parts := []string{fmt.Sprintf("%.0f ms frame (rendering %.0f ms, of which style and layout %.0f ms)", worst.Dur, worst.Render, worst.Layout)}
	for i, sc := range scripts {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%.0f ms in %s (%s)", sc.Dur, sc.Src, sc.Invoker))
	}
	return strings.Join(parts, "; ")
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// server is the child process under test.
type server struct {
	cmd  *exec.Cmd
	url  string
	done chan error
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

func startServer(bin, dir string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "--addr", addr, "--db", filepath.Join(dir, "stator.db"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, url: "http://" + addr, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("the server exited: %v", err)
		default:
		}
		if res, err := http.Get(s.url + "/health"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("the server did not answer /health within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func createMachine(base, yaml string) (string, error) {
	body, _ := json.Marshal(map[string]string{"yaml": yaml})
	res, err := http.Post(base+"/api/v1/machines", "application/json", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create the machine: %s: %s", res.Status, data)
	}
	var m struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", err
	}
	return m.ID, nil
}
