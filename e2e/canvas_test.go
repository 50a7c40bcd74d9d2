package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// diagramJS is the JavaScript expression for the workspace's diagram container.
const diagramJS = `document.querySelector('[data-testid=diagram]')`

// canvasState is what the viewport shows: scale, the canvas's transform, the
// render counter.
type canvasState struct {
	Zoom      string `json:"zoom"`
	Transform string `json:"transform"`
	Rendered  int    `json:"rendered"`
	Error     string `json:"error"`
}

func (p *tab) canvas() canvasState {
	p.t.Helper()
	return eval[canvasState](p, `(function(){var d=`+diagramJS+`, c=d.querySelector(".stator-canvas");
		return {zoom: d.dataset.zoom || "", transform: c ? c.style.transform : "", rendered: Number(d.dataset.rendered), error: d.getAttribute("data-error") || ""}})()`)
}

// waitLong is wait with a bound for drawings of large machines, which take
// seconds on a loaded machine.
func (p *tab) waitLong(what, cond string) {
	p.t.Helper()
	_, err := chromedp.Run(withTimeout(p.t, p.ctx, 95*time.Second),
		chromedp.Poll[chromedp.Void]("!!("+cond+")", chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(90*time.Second)))
	if err != nil {
		p.fail("waiting for %s (%s): %v", what, cond, err)
	}
}

// inView reports whether the SVG element of a state is inside the diagram pane.
func (p *tab) inView(state string) bool {
	p.t.Helper()
	return eval[bool](p, fmt.Sprintf(`(function(){var d=%s, g=d.querySelector('g[data-state=%s]');
		if (!g) return false;
		var r=(g.querySelector("rect")||g).getBoundingClientRect(), v=d.getBoundingClientRect();
		return r.width > 0 && r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom})()`, diagramJS, js(state)))
}

// openExample opens a seeded example machine's workspace.
func (p *tab) openExample(name string) {
	p.t.Helper()
	p.open("/")
	p.wait("the machine list", tidJS("machine-list"))
	id := eval[string](p, fmt.Sprintf(`document.querySelector('[data-testid=machine-row][data-name=%s]').dataset.id`, name))
	p.open("/machines/" + id)
	p.waitWorkspace()
}

// TestCanvasViewportInBrowser drives the diagram's viewport on the order
// example: zoom buttons, 100%, fit, wheel and drag change the view without a
// new render; the active state is brought into view when it becomes active
// off-screen (Next timer -> timed_out_ack); the SVG carries data-state and
// data-transition hooks.
func TestCanvasViewportInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.openExample("order_management")
	p.waitHighlight("pending_new")
	p.shot("order-1280")

	// hooks: every state, every transition (the timeout has no index)
	states := eval[[]string](p, `Array.from(new Set(Array.from(`+diagramJS+`.querySelectorAll("svg [data-state]")).map(function(e){return e.dataset.state}))).sort()`)
	if got, want := strings.Join(states, ","), "canceled,filled,open,partially_filled,pending_new,rejected,timed_out_ack"; got != want {
		t.Errorf("data-state: %s, want %s", got, want)
	}
	trans := eval[[]string](p, `Array.from(new Set(Array.from(`+diagramJS+`.querySelectorAll("svg path[data-transition]")).map(function(e){return e.dataset.transition}))).sort()`)
	if got := strings.Join(trans, ","); got != "0,1,2,3,4" {
		t.Errorf("edges with data-transition: %s, want 0..4", got)
	}
	labels := eval[int](p, diagramJS+`.querySelectorAll("svg .edgeLabel[data-transition]").length`)
	if labels < 7 { // 5 transitions, two of them with two sources
		t.Errorf("%d edge labels carry data-transition, want 7", labels)
	}

	start := p.canvas()
	if start.Zoom == "" || start.Error != "" {
		t.Fatalf("after the first render: %+v", start)
	}
	step := func(what string, act func(), changed func(before, after canvasState) bool) canvasState {
		t.Helper()
		before := p.canvas()
		act()
		p.wait(what+" to change the view", fmt.Sprintf(`(function(){var d=%s, c=d.querySelector(".stator-canvas"); return d.dataset.zoom !== %s || c.style.transform !== %s})()`,
			diagramJS, js(before.Zoom), js(before.Transform)))
		after := p.canvas()
		if after.Rendered != before.Rendered {
			t.Errorf("%s re-rendered the diagram (data-rendered %d -> %d)", what, before.Rendered, after.Rendered)
		}
		if !changed(before, after) {
			t.Errorf("%s: view %+v -> %+v", what, before, after)
		}
		return after
	}
	num := func(s string) float64 { var f float64; fmt.Sscan(s, &f); return f }
	step("zoom in", func() { p.click("diagram-zoom-in") }, func(b, a canvasState) bool { return num(a.Zoom) > num(b.Zoom) })
	step("zoom out", func() { p.click("diagram-zoom-out") }, func(b, a canvasState) bool { return num(a.Zoom) < num(b.Zoom) })
	step("100%", func() { p.click("diagram-100") }, func(b, a canvasState) bool { return a.Zoom == "1" })
	fitted := step("fit", func() { p.click("diagram-fit") }, func(b, a canvasState) bool { return num(a.Zoom) < 1 })
	// the whole drawing is in the pane after fit
	if !eval[bool](p, `(function(){var d=`+diagramJS+`, r=d.querySelector("svg").getBoundingClientRect(), v=d.getBoundingClientRect();
		return r.left >= v.left - 1 && r.right <= v.right + 1 && r.top >= v.top - 1 && r.bottom <= v.bottom + 1})()`) {
		t.Errorf("after fit (zoom %s) the drawing is not inside the pane", fitted.Zoom)
	}
	centre := eval[[]float64](p, `(function(){var r=`+diagramJS+`.getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]})()`)
	x, y := centre[0], centre[1]
	step("wheel", func() {
		// (CDP's mouseWheel needs a deltaX that chromedp leaves out when it is 0)
		p.do("wheel", chromedp.MouseEvent(input.DispatchMouseEventTypeMouseWheel, x, y, func(m *input.DispatchMouseEventParams) { m.DeltaX, m.DeltaY = 0.01, -240 }))
	}, func(b, a canvasState) bool { return num(a.Zoom) > num(b.Zoom) })
	step("drag", func() {
		p.do("drag",
			chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1)),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+30, y+20, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x+80, y+50, chromedp.ButtonLeft),
			chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, x+80, y+50, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	}, func(b, a canvasState) bool { return a.Zoom == b.Zoom && a.Transform != b.Transform })

	// full screen and back, without a re-render
	n := p.rendered()
	isFull := `(function(){var w=` + diagramJS + `.closest(".diagram-wrap"); return document.fullscreenElement === w || w.classList.contains("diagram-full")})()`
	p.click("diagram-fullscreen")
	p.wait("the diagram to go full screen", isFull+` && `+tidJS("diagram-fullscreen")+`.getAttribute("aria-pressed") === "true"`)
	if h := eval[float64](p, diagramJS+`.getBoundingClientRect().height`); h < 600 {
		t.Errorf("full screen diagram pane is %.0fpx tall in an 800px window", h)
	}
	p.shot("order-fullscreen")
	p.click("diagram-fullscreen")
	p.wait("the diagram to leave full screen", "!"+isFull)
	if got := p.rendered(); got != n {
		t.Errorf("full screen re-rendered the diagram (%d -> %d)", n, got)
	}

	// follow: zoom in on the top left, so that the terminal states are
	// outside the pane, then let the timeout fire
	p.click("diagram-100")
	p.do("zoom in twice", chromedp.Click(tid("diagram-zoom-in")), chromedp.Click(tid("diagram-zoom-in")))
	eval[bool](p, `(function(){var v=StatorDiagramView.get(`+diagramJS+`); v.reveal([`+diagramJS+`.querySelector('g[data-state=pending_new] rect')]); return true})()`)
	if p.inView("timed_out_ack") {
		t.Fatal("timed_out_ack is in view before the test moved away from it")
	}
	rendered := p.rendered()
	p.simClick("clock-next")
	p.waitText("sim-state", "timed_out_ack")
	p.waitHighlight("timed_out_ack")
	p.wait("timed_out_ack to be brought into view", fmt.Sprintf(`(function(){var d=%s, g=d.querySelector('g[data-state=timed_out_ack]');
		var r=g.querySelector("rect").getBoundingClientRect(), v=d.getBoundingClientRect();
		return r.left >= v.left && r.right <= v.right && r.top >= v.top && r.bottom <= v.bottom})()`, diagramJS))
	if got := p.rendered(); got > rendered+1 {
		t.Errorf("following the active state rendered %d times", got-rendered)
	}
	p.shot("order-followed-timed_out_ack")

	// phone width: the toolbar fits, the pane is usable
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))
	p.click("diagram-fit")
	if o := p.overflow(); o.ScrollWidth > o.InnerWidth {
		t.Errorf("at 390px the page is %dpx wide; sticking out: %v", o.ScrollWidth, o.Culprits)
	}
	if h := eval[float64](p, diagramJS+`.getBoundingClientRect().height`); h < 150 {
		t.Errorf("at 390px the diagram pane is %.0fpx tall", h)
	}
	p.do("scroll to the diagram", chromedp.Evaluate[chromedp.Void](diagramJS+`.closest(".diagram-wrap").scrollIntoView()`))
	p.shot("order-390")
	p.noErrors()
}

// TestCanvasDiagramsInBrowser checks the drawings of the other examples:
// parallel regions carry their names, compound and region states and
// self-loops carry their hooks, a compound state collapses and expands on a
// double-click, no edge label covers a compound's title, and the ELK layout
// draws the same states.
func TestCanvasDiagramsInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)

	p.openExample("trading_desk")
	regions := eval[[]string](p, `Array.from(`+diagramJS+`.querySelectorAll("svg g[data-region]")).map(function(g){return g.dataset.region + "=" + g.querySelector(".cluster-label").textContent.trim()}).sort()`)
	if got := strings.Join(regions, ","); got != "r_session_0_=trading,r_session_1_=risk" {
		t.Errorf("regions: %s, want trading and risk named", got)
	}
	inRegions := eval[int](p, diagramJS+`.querySelectorAll("svg g[data-state=scanning], svg g[data-state=breached]").length`)
	if inRegions != 2 {
		t.Errorf("%d of the states inside regions carry data-state", inRegions)
	}
	p.shot("trading_desk")

	p.openExample("document_approval")
	// transition 3 is editorial_review's self-loop, 4 leaves the compound in_review
	for _, i := range []string{"3", "4"} {
		if n := eval[int](p, diagramJS+`.querySelectorAll('svg path[data-transition="`+i+`"], svg .edgeLabel[data-transition="`+i+`"]').length`); n < 2 {
			t.Errorf("transition %s: %d elements carry data-transition, want its edge and its label", i, n)
		}
	}
	// no label over the compound's title
	overlap := eval[[]string](p, `(function(){var svg=`+diagramJS+`.querySelector("svg"), out=[];
		var titles=Array.from(svg.querySelectorAll("g[data-state] .cluster-label")).map(function(e){return [e.textContent.trim(), e.getBoundingClientRect()]});
		svg.querySelectorAll(".edgeLabel[data-transition]").forEach(function(l){var r=l.getBoundingClientRect(); if(!r.width) return;
			titles.forEach(function(t){var b=t[1]; if (r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top) out.push(l.textContent.trim() + " over " + t[0])})});
		return out})()`)
	if len(overlap) > 0 {
		t.Errorf("edge labels over compound titles: %v", overlap)
	}
	p.shot("document_approval")

	// collapse in_review, then expand it again
	n := p.rendered()
	dblclick := func() {
		t.Helper()
		pt := eval[[]float64](p, `(function(){var r=`+diagramJS+`.querySelector('g[data-state=in_review] .cluster-label').getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]})()`)
		p.do("double-click in_review", chromedp.MouseClickXY(pt[0], pt[1], chromedp.ClickCount(2)))
	}
	dblclick()
	p.waitRendered("the collapsed drawing", n)
	if got := eval[string](p, diagramJS+`.querySelector('g[data-state=in_review]').dataset.collapsed || ""`); got != "true" {
		t.Errorf("in_review data-collapsed %q after a double-click", got)
	}
	if eval[bool](p, `!!`+diagramJS+`.querySelector('g[data-state=legal_review]')`) {
		t.Error("legal_review is still drawn inside the collapsed in_review")
	}
	p.shot("document_approval-collapsed")
	n = p.rendered()
	pt := eval[[]float64](p, `(function(){var r=`+diagramJS+`.querySelector('g[data-state=in_review] rect').getBoundingClientRect(); return [r.left + r.width/2, r.top + r.height/2]})()`)
	p.do("double-click the collapsed in_review", chromedp.MouseClickXY(pt[0], pt[1], chromedp.ClickCount(2)))
	p.waitRendered("the expanded drawing", n)
	if !eval[bool](p, `!!`+diagramJS+`.querySelector('g[data-state=legal_review]')`) {
		t.Error("legal_review is not drawn after in_review was expanded")
	}

	// a theme switch draws again (in the theme's colours, read from app.css)
	n = p.rendered()
	eval[bool](p, `document.documentElement.setAttribute("data-theme", "dark"), true`)
	p.waitRendered("the drawing in the dark theme", n)
	if c := p.canvas(); c.Error != "" {
		t.Errorf("after the theme switch: %s", c.Error)
	}
	eval[bool](p, `document.documentElement.setAttribute("data-theme", "light"), true`)
	p.waitRendered("the drawing in the light theme", n+1)

	// the ELK layout
	n = p.rendered()
	p.do("choose ELK", chromedp.SetValue(tid("diagram-layout"), "elk"), chromedp.Evaluate[chromedp.Void](tidJS("diagram-layout")+`.dispatchEvent(new Event("change"))`))
	p.waitLong("the ELK drawing", fmt.Sprintf(`Number(%s.dataset.rendered) > %d && %s.dataset.layout === "elk"`, diagramJS, n, diagramJS))
	c := p.canvas()
	if c.Error != "" {
		t.Fatalf("ELK layout failed: %s", c.Error)
	}
	if got := eval[int](p, `new Set(Array.from(`+diagramJS+`.querySelectorAll("svg [data-state]")).map(function(e){return e.dataset.state})).size`); got != 6 {
		t.Errorf("ELK drawing has %d states, want 6", got)
	}
	p.shot("document_approval-elk")
	// the choice is kept for the next page
	p.openExample("order_management")
	if got := eval[string](p, diagramJS+`.dataset.layout`); got != "elk" {
		t.Errorf("layout after reopening: %q, want elk", got)
	}
	p.noErrors()
}

// TestCanvasLargeMachineInBrowser opens a 1,000-state, 3,000-transition
// machine: it must show a drawing with a notice, never an error box, and
// data-error must stay unset.
func TestCanvasLargeMachineInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	var b strings.Builder
	b.WriteString("meta: {machine_name: big_machine}\nstates:\n  - {name: s0, type: initial}\n")
	for i := 1; i < 1000; i++ {
		switch {
		case i%10 == 1:
			fmt.Fprintf(&b, "  - {name: s%d, initial_child: s%d}\n", i, i+1)
		case (i-1)%10 != 0:
			fmt.Fprintf(&b, "  - {name: s%d, parent: s%d}\n", i, i-(i-1)%10)
		}
	}
	b.WriteString("transitions:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "  - {trigger: next, source: s%d, dest: s%d}\n", i, (i+1)%1000)
		fmt.Fprintf(&b, "  - {trigger: jump, source: s%d, dest: s%d}\n", i, (i*7+3)%1000)
		fmt.Fprintf(&b, "  - {trigger: back, source: s%d, dest: s0, actions: [log]}\n", i)
	}
	body, _ := json.Marshal(map[string]string{"yaml": b.String()})
	res, err := http.Post(base+"/api/v1/machines", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		ID string `json:"id"`
	}
	err = json.NewDecoder(res.Body).Decode(&m)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusCreated {
		t.Fatalf("create the machine: %s %v", res.Status, err)
	}

	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.open("/machines/" + m.ID)
	p.waitLong("the first drawing", diagramJS+` && Number(`+diagramJS+`.dataset.rendered) >= 1`)
	c := p.canvas()
	if c.Error != "" {
		t.Fatalf("data-error: %s", c.Error)
	}
	if got := eval[int](p, diagramJS+`.querySelectorAll("svg [data-state]").length`); got == 0 {
		t.Fatal("no state drawn")
	}
	if eval[bool](p, `/Syntax error|Maximum text size/.test(`+diagramJS+`.textContent)`) {
		t.Error("Mermaid's error box is shown")
	}
	if got := eval[string](p, diagramJS+`.dataset.overview || ""`); got == "" {
		t.Error("a 1,000-state machine is drawn without an overview")
	}
	notice := eval[string](p, `document.querySelector(".diagram-notice").hidden ? "" : document.querySelector(".diagram-notice").textContent`)
	if !strings.Contains(notice, "1,000 states") {
		t.Errorf("notice %q does not say why this is an overview", notice)
	}
	p.shot("big-machine")
	p.noErrors()
}
