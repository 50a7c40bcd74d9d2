package e2e

import (
	"fmt"
	"math"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// rect is an element's box in the viewport.
type rect struct {
	X, Y, W, H float64
}

func (p *tab) rect(sel string) rect {
	p.t.Helper()
	return eval[rect](p, fmt.Sprintf(`(function () {
		var e = document.querySelector(%s);
		if (!e) return {x: -1, y: -1, w: -1, h: -1};
		var r = e.getBoundingClientRect();
		return {x: r.left, y: r.top, w: r.width, h: r.height};
	})()`, js(sel)))
}

// uncovered lists the selectors whose element is missing, outside the
// viewport, or covered (the element at its centre is not it or inside it):
// what a person could not see or click right now.
func (p *tab) uncovered(selectors []string) []string {
	p.t.Helper()
	return eval[[]string](p, fmt.Sprintf(`(function (sels) {
		var out = [];
		sels.forEach(function (s) {
			var e = document.querySelector(s);
			if (!e) { out.push(s + " (missing)"); return; }
			var r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
			if (r.width === 0 || x < 0 || y < 0 || x > innerWidth || y > innerHeight) { out.push(s + " (out of view)"); return; }
			var at = document.elementFromPoint(x, y);
			if (!at || !(at === e || e.contains(at))) out.push(s + " (covered by " + (at ? at.tagName.toLowerCase() + "." + at.className : "nothing") + ")");
		});
		return out;
	})(%s)`, jsList(selectors)))
}

// drag drags with the mouse from (x, y) by (dx, dy), in a few moves.
func (p *tab) drag(what string, x, y, dx, dy float64) {
	p.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, x, y),
		chromedp.MouseEvent(chromedp.MousePressed, x, y, chromedp.ButtonLeft, chromedp.ClickCount(1))}
	for i := 1; i <= 4; i++ {
		steps = append(steps, chromedp.MouseEvent(chromedp.MouseMoved, x+dx*float64(i)/4, y+dy*float64(i)/4, chromedp.ButtonLeft))
	}
	steps = append(steps, chromedp.MouseEvent(chromedp.MouseReleased, x+dx, y+dy, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	p.do(what, steps...)
}

func near(a, b, tolerance float64) bool { return math.Abs(a-b) <= tolerance }

// simTogether are the simulator's parts a person uses together: the state,
// the clock, the events, the context, the steps.
var simTogether = []string{"[data-testid=sim-state]", "[data-testid=clock-next]", "[data-testid=clock-advance]", "[data-testid=sim-reset]",
	"#sim-events-title", "#sim-context-title", "#sim-time-title", "#sim-steps-title", "[data-testid=fill-from-vars]", "[data-testid=ctx-order_qty]"}

// TestWorkspaceLayout: at 1280×800 the workspace fills the window without
// scrolling; the simulator's state, clock, events, context and steps are in
// view together (and stay so as steps are added); its header keeps its size
// and place whatever the state's name; the split is resized by dragging and
// with the keyboard, and remembered after a reload.
func TestWorkspaceLayout(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)

	p.open("/")
	p.clickAndLoad("open order_management", chromedp.CSS(`[data-testid=machine-row][data-name=order_management] a.machine-name`))
	p.waitWorkspace()
	if got := eval[string](p, `document.scrollingElement.scrollWidth + "x" + document.scrollingElement.scrollHeight`); got != "1280x800" {
		t.Errorf("the workspace page is %s, want 1280x800 (no scrolling)", got)
	}
	if bad := p.uncovered(append(simTogether, "[data-testid=event-exchange_ack]", "[data-testid=step-start]")); len(bad) > 0 {
		t.Errorf("at the start, not usable: %v", bad)
	}

	// a few steps: the current step stays in view with the rest
	p.simClick("fill-from-vars")
	p.simClick("event-exchange_ack")
	p.waitText("sim-state", "open")
	p.typeInto("payload-execution_report-fill_qty", "50")
	p.wait("execution_report to be enabled", `!`+tidJS("event-execution_report")+`.disabled`)
	p.simClick("event-execution_report")
	p.waitText("sim-state", "partially_filled")
	p.simClick("event-cancel_request")
	p.waitText("sim-state", "canceled")
	if bad := p.uncovered(append(simTogether, "[data-testid=step][aria-current=step]")); len(bad) > 0 {
		t.Errorf("after 3 steps, not usable: %v", bad)
	}
	p.shot("three-steps")

	// the header does not cover the context when it scrolls
	eval[chromedp.Void](p, tidJS("fill-from-vars")+`.scrollIntoView({block: "start"})`)
	if bad := p.uncovered([]string{"[data-testid=fill-from-vars]"}); len(bad) > 0 {
		t.Errorf("scrolled to the top of its list, Fill from state variables is %v", bad)
	}

	// resize: the editor wider by dragging its handle
	left, center := p.rect(".ws-left"), p.rect(".ws-center")
	h := p.rect("[data-testid=split-editor]")
	p.drag("drag the editor's handle", h.X+h.W/2, h.Y+h.H/2, 120, 0)
	left2, center2 := p.rect(".ws-left"), p.rect(".ws-center")
	if !near(left2.W, left.W+120, 3) || !near(center2.W, center.W-120, 3) {
		t.Errorf("after dragging 120px right: editor %.0f→%.0f, diagram %.0f→%.0f wide", left.W, left2.W, center.W, center2.W)
	}
	// the simulator taller with the keyboard: Up three times, 2% each
	sim := p.rect(".ws-right")
	column := p.rect(".ws-right").Y + p.rect(".ws-right").H - p.rect(".ws-center").Y
	p.do("focus the simulator's handle", chromedp.Focus(tid("split-sim")))
	for range 3 {
		p.do("press ArrowUp", chromedp.KeyEvent(kb.ArrowUp))
	}
	sim2 := p.rect(".ws-right")
	if !near(sim2.H, sim.H+0.06*column, 3) {
		t.Errorf("after ArrowUp ×3 the simulator is %.0fpx tall, want %.0f (+6%% of %.0f)", sim2.H, sim.H+0.06*column, column)
	}
	if got := eval[string](p, tidJS("split-sim")+`.getAttribute("aria-valuenow")`); got != "44" {
		t.Errorf("the simulator handle's aria-valuenow is %s, want 44 (from 50, up 6)", got)
	}
	p.shot("resized")

	// remembered: a reload shows the same sizes from the start
	p.wait("the sizes to be stored", `JSON.parse(localStorage.getItem("stator:split") || "{}").sim === 56`)
	p.do("reload", chromedp.Reload())
	p.waitWorkspace()
	if l, s := p.rect(".ws-left"), p.rect(".ws-right"); !near(l.W, left2.W, 1) || !near(s.H, sim2.H, 1) {
		t.Errorf("after a reload: editor %.0f wide (want %.0f), simulator %.0f tall (want %.0f)", l.W, left2.W, s.H, sim2.H)
	}

	// the header keeps its size and its controls their place, however long
	// the state's name (a parallel configuration)
	p.open("/")
	p.clickAndLoad("open trading_desk", chromedp.CSS(`[data-testid=machine-row][data-name=trading_desk] a.machine-name`))
	p.waitWorkspace()
	// a narrow simulator (the editor at its widest) makes the long name longer than the room
	p.do("focus the editor's handle", chromedp.Focus(tid("split-editor")))
	p.do("press End", chromedp.KeyEvent(kb.End))
	head, next := p.rect(".sim-head"), p.rect("[data-testid=clock-next]")
	p.simClick("event-open_market")
	p.waitText("sim-state", "session:risk=normal,trading=scanning")
	p.simClick("event-signal")
	p.waitText("sim-state", "session:risk=normal,trading=analyzing")
	if head2, next2 := p.rect(".sim-head"), p.rect("[data-testid=clock-next]"); head2 != head || next2 != next {
		t.Errorf("the simulator's header moved with the state's name: header %+v → %+v, Next timer %+v → %+v", head, head2, next, next2)
	}
	if s := p.rect("[data-testid=sim-state]"); s.X+s.W > p.rect("[data-testid=sim-reset]").X {
		t.Error("the state's name runs into the Reset button")
	}
	p.shot("long-state")
	p.noErrors()
}
