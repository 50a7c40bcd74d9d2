package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// highlighted are the diagram's node ids marked as the current state
// (diagram.js puts the class stator-active on their SVG groups).
func (p *tab) highlighted() []string {
	p.t.Helper()
	return eval[[]string](p, `(function () {
		var svg = document.querySelector("[data-testid=diagram] svg");
		if (!svg) return [];
		var out = [];
		StatorDiagram.nodeElements(svg).forEach(function (groups, id) {
			if (groups.some(function (g) { return g.classList.contains("stator-active"); })) out.push(id);
		});
		return out.sort();
	})()`)
}

// waitHighlight waits until exactly the given states are highlighted.
func (p *tab) waitHighlight(states ...string) {
	p.t.Helper()
	ids := make([]string, len(states))
	for i, s := range states {
		ids[i] = "s_" + s + "_"
	}
	sort.Strings(ids)
	want, _ := json.Marshal(ids)
	p.wait("the diagram to highlight "+strings.Join(states, ", "), fmt.Sprintf(`(function () {
		var svg = document.querySelector("[data-testid=diagram] svg");
		if (!svg) return false;
		var out = [];
		StatorDiagram.nodeElements(svg).forEach(function (groups, id) {
			if (groups.some(function (g) { return g.classList.contains("stator-active"); })) out.push(id);
		});
		return JSON.stringify(out.sort()) === %s;
	})()`, js(string(want))))
}

// waitText waits until the element with a data-testid has exactly this text.
func (p *tab) waitText(id, want string) {
	p.t.Helper()
	p.wait(fmt.Sprintf("%s to read %q", id, want), fmt.Sprintf(`(function(){var e=%s;return !!e && e.textContent.trim() === %s})()`, tidJS(id), js(want)))
}

// value is an input's value.
func (p *tab) value(id string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(function(){var e=%s;return e?e.value:"<missing>"})()`, tidJS(id)))
}

// typeInto types text over an input's value with real key events: focus,
// Ctrl+A, then the keys (the first key replaces the selected value).
func (p *tab) typeInto(id, text string) {
	p.t.Helper()
	p.do("type into "+id, chromedp.Focus(tid(id)), chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.SendKeys(tid(id), text))
	if got := p.value(id); got != text {
		p.fail("typed %q into %s, which holds %q", text, id, got)
	}
}

// simClick clicks a simulator control and waits for the panel's answer.
func (p *tab) simClick(id string) {
	p.t.Helper()
	n := p.settled()
	p.click(id)
	p.waitSettled("the simulator's answer to "+id, n)
}

// button is an event button's state.
type button struct {
	Present  bool   `json:"present"`
	Disabled bool   `json:"disabled"`
	Reason   string `json:"reason"`
	Shown    string `json:"shown"`  // the reason as the page shows it under the button
	Target   string `json:"target"` // "→ state" next to the button
}

func (p *tab) button(trigger string) button {
	p.t.Helper()
	return eval[button](p, fmt.Sprintf(`(function () {
		var b = %s;
		if (!b) return {present: false};
		var box = b.closest(".sim-event"), shown = box.querySelector(".reason"), target = box.querySelector(".sim-target");
		return {present: true, disabled: b.disabled, reason: b.getAttribute("data-reason") || "",
			shown: shown ? shown.textContent.trim() : "", target: target ? target.textContent.trim() : ""};
	})()`, tidJS("event-"+trigger)))
}

// steps are the simulator's step log: label, what happened, and whether
// the step is after the cursor (undone, can be gone back to).
type step struct {
	Label   string `json:"label"`
	Text    string `json:"text"`
	Future  bool   `json:"future"`
	Current bool   `json:"current"`
}

func (p *tab) steps() []step {
	p.t.Helper()
	return eval[[]step](p, `Array.from(document.querySelectorAll("[data-testid=step]")).map(function (b) {
		var li = b.closest("li");
		return {label: b.querySelector(".step-label").textContent.trim(), text: li.textContent.replace(/\s+/g, " ").trim(),
			future: li.classList.contains("future"), current: b.getAttribute("aria-current") === "step"};
	})`)
}

func stepLabels(steps []step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Label
	}
	return out
}

// simContext is the simulator's context (its raw JSON box).
func (p *tab) simContext() map[string]any {
	p.t.Helper()
	raw := p.value("ctx-json")
	var c map[string]any
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		p.fail("the context box holds %q: %v", raw, err)
	}
	return c
}

// TestSimulatorInBrowser walks the order lifecycle of the tutorial: fill the
// context from the state variables, set order_qty, exchange_ack → open, a
// fill of 50 → partially_filled, of 100 → filled; a guarded event shows why
// it is disabled; go back one step and branch; the share link reproduces the
// simulation at the same step in a fresh browser; the virtual clock fires a
// timeout; a parallel machine highlights its configuration.
func TestSimulatorInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	b := newBrowser(t)
	p := openTab(t, b, base, sh, false)

	p.open("/")
	p.clickAndLoad("open order_management", chromedp.CSS(`[data-testid=machine-row][data-name=order_management] a.machine-name`))
	p.waitWorkspace()
	if got := p.text("sim-state"); got != "pending_new" {
		t.Fatalf("simulator state %q, want pending_new", got)
	}
	p.waitHighlight("pending_new")
	if got := eval[string](p, `document.querySelector("[data-testid=sim-timer]").textContent.replace(/\s+/g, " ").trim()`); got != "timeout of pending_new at 00:00:05 in 5 s" {
		t.Errorf("pending timer %q", got)
	}
	if ack := p.button("exchange_ack"); !ack.Present || ack.Disabled || ack.Target != "→ open" {
		t.Errorf("exchange_ack button %+v, want enabled → open", ack)
	}
	p.shot("order-start")

	// context from the state variables, then order_qty typed in
	p.simClick("fill-from-vars")
	for id, want := range map[string]string{"ctx-order_id": "ORD-001", "ctx-order_qty": "100", "ctx-fill_qty": "0"} {
		if got := p.value(id); got != want {
			t.Errorf("%s = %q after Fill, want %q", id, got, want)
		}
	}
	if eval[bool](p, tidJS("ctx-in_flight")+".checked") {
		t.Error("in_flight is checked after Fill; its default is false")
	}
	var n int
	for _, qty := range []string{"250", "100"} {
		p.typeInto("ctx-order_qty", qty)
		n = p.settled()
		p.do("leave order_qty", chromedp.Blur(tid("ctx-order_qty")))
		p.waitSettled("the context edit", n)
		if got, want := p.simContext(), map[string]any{"order_id": "ORD-001", "order_qty": mustFloat(qty), "fill_qty": 0.0, "in_flight": false}; !reflect.DeepEqual(got, want) {
			t.Errorf("context %v, want %v", got, want)
		}
	}
	if got := len(p.steps()); got != 0 {
		t.Errorf("%d steps after editing the starting context, want 0", got)
	}
	p.shot("context-filled")

	// exchange_ack → open
	p.simClick("event-exchange_ack")
	p.waitText("sim-state", "open")
	p.waitHighlight("open")
	st := p.steps()
	if len(st) != 1 || st[0].Label != "exchange_ack" || !strings.Contains(st[0].Text, "pending_new → open") ||
		!strings.Contains(st[0].Text, "update_order_id, notify_ui_open, log_audit_trail") || !strings.Contains(st[0].Text, "cancelled timeout of pending_new") || !st[0].Current {
		t.Errorf("steps %+v", st)
	}
	if eval[bool](p, tidJS("clock-next")+".disabled") != true {
		t.Error("Next timer is enabled in open, which has no timer")
	}
	if !eval[bool](p, `!!document.querySelector('fieldset[data-testid=payload-execution_report] [data-testid=payload-execution_report-fill_qty][type=number]')`) {
		t.Error("no payload-execution_report fieldset with a number field payload-execution_report-fill_qty")
	}
	// a guarded event says why it is disabled
	if er := p.button("execution_report"); !er.Disabled || er.Reason != "the payload needs fill_qty" || er.Shown != "✖ the payload needs fill_qty" {
		t.Errorf("execution_report without a payload: %+v", er)
	}
	p.typeInto("payload-execution_report-fill_qty", "0")
	want := "→ filled: fill_qty >= order_qty: 0 >= 100 is false; → partially_filled: 0 < fill_qty < order_qty: 0 < 0 < 100 is false"
	p.wait("the guards' reason", fmt.Sprintf(`%s.getAttribute("data-reason") === %s`, tidJS("event-execution_report"), js(want)))
	if er := p.button("execution_report"); !er.Disabled || er.Shown != "✖ "+want {
		t.Errorf("execution_report with fill_qty 0: %+v", er)
	}
	if cr := p.button("cancel_request"); cr.Disabled || cr.Target != "→ canceled" {
		t.Errorf("cancel_request in open: %+v", cr)
	}
	p.shot("open-guard-reason")

	// fill 50 → partially_filled, typed with a pause: the panel is redrawn
	// between the two keys and the second one still goes after the first
	n = p.settled()
	p.typeInto("payload-execution_report-fill_qty", "5")
	p.waitSettled("the answer to the payload", n)
	p.wait("the payload field to keep the focus", `document.activeElement === `+tidJS("payload-execution_report-fill_qty"))
	p.do("type on", chromedp.KeyEvent("0"))
	if got := p.value("payload-execution_report-fill_qty"); got != "50" {
		t.Errorf("typing 5, a pause, then 0 gives %q, want 50", got)
	}
	p.wait("execution_report to be enabled", fmt.Sprintf(`!%[1]s.disabled && !%[1]s.getAttribute("data-reason") && %[1]s.closest(".sim-event").querySelector(".sim-target").textContent.trim() === "→ partially_filled"`, tidJS("event-execution_report")))
	p.simClick("event-execution_report")
	p.waitText("sim-state", "partially_filled")
	p.waitHighlight("partially_filled")
	if got := p.value("ctx-fill_qty"); got != "50" {
		t.Errorf("fill_qty in the context is %q after the fill, want 50 (the payload merges into the context)", got)
	}

	// fill 100 → filled
	p.typeInto("payload-execution_report-fill_qty", "100")
	p.wait("execution_report to lead to filled", fmt.Sprintf(`!%[1]s.disabled && %[1]s.closest(".sim-event").querySelector(".sim-target").textContent.trim() === "→ filled"`, tidJS("event-execution_report")))
	p.simClick("event-execution_report")
	p.waitText("sim-state", "filled")
	p.waitHighlight("filled")
	if !eval[bool](p, tidJS("sim-state")+`.classList.contains("terminal")`) {
		t.Error("filled is not shown as terminal")
	}
	if got := eval[int](p, `document.querySelectorAll("[data-testid^=event-]").length`); got != 0 {
		t.Errorf("%d event buttons in the terminal state filled", got)
	}
	if got, want := stepLabels(p.steps()), []string{"exchange_ack", `execution_report {"fill_qty":50}`, `execution_report {"fill_qty":100}`}; !equalStrings(got, want) {
		t.Errorf("steps %q, want %q", got, want)
	}
	p.shot("filled")

	// back one step: partially_filled again, the last step undone
	p.do("go back one step", chromedp.Click(chromedp.CSS(`[data-testid=step][value="goto:2"]`)))
	p.waitText("sim-state", "partially_filled")
	p.waitHighlight("partially_filled")
	st = p.steps()
	if len(st) != 3 || st[2].Future != true || st[1].Current != true || st[0].Future || st[1].Future {
		t.Errorf("after going back one step: %+v", st)
	}
	p.typeInto("payload-execution_report-fill_qty", "30")
	want = "fill_qty >= order_qty: 30 >= 100 is false"
	p.wait("the guard's reason", fmt.Sprintf(`%s.getAttribute("data-reason") === %s`, tidJS("event-execution_report"), js(want)))
	if er := p.button("execution_report"); !er.Disabled || er.Shown != "✖ "+want {
		t.Errorf("execution_report with fill_qty 30 in partially_filled: %+v", er)
	}
	p.shot("went-back-guard-reason")

	// branch: cancel instead; the undone step is gone
	p.simClick("event-cancel_request")
	p.waitText("sim-state", "canceled")
	p.waitHighlight("canceled")
	st = p.steps()
	if got, want := stepLabels(st), []string{"exchange_ack", `execution_report {"fill_qty":50}`, "cancel_request"}; !equalStrings(got, want) || st[2].Future || !st[2].Current {
		t.Errorf("after branching: %+v, want labels %q", st, want)
	}
	p.shot("branched")

	// share at step 2 of 3: a fresh browser context opens the same simulation
	p.do("go back to step 2", chromedp.Click(chromedp.CSS(`[data-testid=step][value="goto:2"]`)))
	p.waitText("sim-state", "partially_filled")
	wantSteps := p.steps()
	wantCtx := p.simContext()
	p.click("share")
	p.wait("the share link", `/\/s\/[A-Za-z0-9_-]+$/.test((document.querySelector("[data-testid=share-url]") || {}).value || "")`)
	shareURL := p.value("share-url")
	q := openTab(t, b, base, sh, true)
	q.open(shareURL)
	q.waitWorkspace()
	if got := q.text("sim-state"); got != "partially_filled" {
		t.Errorf("the shared simulation is at %q, want partially_filled", got)
	}
	q.waitHighlight("partially_filled")
	if got := q.steps(); !reflect.DeepEqual(got, wantSteps) {
		t.Errorf("the shared simulation's steps\n%+v\nwant\n%+v", got, wantSteps)
	}
	if got := q.simContext(); !reflect.DeepEqual(got, wantCtx) {
		t.Errorf("the shared simulation's context %v, want %v", got, wantCtx)
	}
	q.shot("shared-simulation")
	q.simClick("step-start")
	q.waitText("sim-state", "pending_new")
	q.waitHighlight("pending_new")
	for i, s := range q.steps() {
		if !s.Future {
			t.Errorf("step %d is not undone after going back to the start: %+v", i+1, s)
		}
	}
	q.do("step forward in the shared view", chromedp.Click(chromedp.CSS(`[data-testid=step][value="goto:3"]`)))
	q.waitText("sim-state", "canceled")
	q.waitHighlight("canceled")
	q.noErrors()

	// the draft link carries the same simulation in the link itself
	p.wait("the draft link", `(document.querySelector("[data-testid=draft-url]").value || "").indexOf("/draft#z=") > 0`)
	d := openTab(t, b, base, sh, true)
	d.open(p.value("draft-url"))
	d.waitWorkspace()
	if got := d.text("sim-state"); got != "partially_filled" {
		t.Errorf("the draft link's simulation is at %q, want partially_filled", got)
	}
	if got := d.steps(); !reflect.DeepEqual(got, wantSteps) {
		t.Errorf("the draft link's steps\n%+v\nwant\n%+v", got, wantSteps)
	}
	d.waitHighlight("partially_filled")
	d.noErrors()

	// the virtual clock: reset, then the pending_new timeout fires
	p.simClick("sim-reset")
	p.waitText("sim-state", "pending_new")
	if got := len(p.steps()); got != 0 {
		t.Errorf("%d steps after Reset", got)
	}
	p.simClick("clock-next")
	p.waitText("sim-state", "timed_out_ack")
	p.waitHighlight("timed_out_ack")
	if got := p.text("sim-clock"); got != "00:00:05" {
		t.Errorf("virtual clock %q after the timer, want 00:00:05", got)
	}
	st = p.steps()
	if len(st) != 1 || st[0].Label != "next timer" || !strings.Contains(st[0].Text, "timer _timeout pending_new → timed_out_ack") {
		t.Errorf("steps after the timer: %+v", st)
	}
	p.shot("timeout-fired")
	p.noErrors()

	// a parallel machine: the state is a configuration, several nodes lit
	p.open("/")
	p.clickAndLoad("open trading_desk", chromedp.CSS(`[data-testid=machine-row][data-name=trading_desk] a.machine-name`))
	p.waitWorkspace()
	p.waitText("sim-state", "closed")
	p.waitHighlight("closed")
	p.simClick("event-open_market")
	p.waitText("sim-state", "session:risk=normal,trading=scanning")
	p.waitHighlight("session", "scanning", "normal")
	p.simClick("event-signal")
	p.waitText("sim-state", "session:risk=normal,trading=analyzing")
	p.waitHighlight("session", "analyzing", "normal")
	if got := eval[int](p, `document.querySelectorAll("[data-testid=diagram] svg .stator-active").length`); got < 3 {
		t.Errorf("%d SVG groups highlighted in a parallel configuration, want 3 or more", got)
	}
	p.shot("parallel")
	p.noErrors()
}

// TestEntitiesInBrowser creates entities of order_management in the
// workspace's Entities tab, sends one events on its page (history, state,
// highlight) and checks the per-state counts and the diagram's badges.
func TestEntitiesInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)

	p.open("/")
	p.clickAndLoad("open order_management", chromedp.CSS(`[data-testid=machine-row][data-name=order_management] a.machine-name`))
	p.waitWorkspace()
	orderURL := eval[string](p, `location.href`)
	p.click("tab-entities")
	p.wait("the entities panel", tidJS("create-entity")+` && `+tidJS("create-entity")+`.getClientRects().length > 0`)
	if got := eval[int](p, `document.querySelectorAll("[data-testid=entity-row]").length`); got != 0 {
		t.Fatalf("%d entities in a new database", got)
	}
	var defaults map[string]any
	if err := json.Unmarshal([]byte(p.value("new-entity-context")), &defaults); err != nil || defaults["order_qty"] != 100.0 {
		t.Errorf("the new entity's context starts as %v (%v), want the state variables' defaults", defaults, err)
	}

	// create one with an id, one without
	p.typeInto("new-entity-id", "ord-e2e-1")
	p.simClick("create-entity")
	p.wait("the new entity", `document.querySelector('[data-testid=entity-row][data-id="ord-e2e-1"]')`)
	if got := eval[string](p, `document.querySelector('[data-testid=entity-row][data-id="ord-e2e-1"] [data-testid=entity-state]').textContent`); got != "pending_new" {
		t.Errorf("the new entity is in %q, want pending_new", got)
	}
	p.simClick("create-entity")
	p.wait("the second entity", `document.querySelectorAll("[data-testid=entity-row]").length === 2`)
	counts := p.entityCounts()
	if !reflect.DeepEqual(counts, map[string]string{"pending_new": "2"}) {
		t.Errorf("per-state counts %v, want pending_new 2", counts)
	}
	p.wait("the count badge on the diagram", `(function(){var b=document.querySelector('[data-testid=diagram] svg g.stator-count[data-state=pending_new]');return !!b && b.textContent === "2"})()`)
	p.shot("entities-created")

	// the entity's page: send it events
	p.clickAndLoad("open the entity", chromedp.CSS(`[data-testid=entity-row][data-id="ord-e2e-1"] a`))
	p.wait("the entity page", `Number(document.querySelector("[data-testid=diagram]").dataset.rendered) >= 1 && `+tidJS("send-event"))
	p.waitText("entity-state", "pending_new")
	p.waitHighlight("pending_new")
	if got := p.historyRows(); len(got) != 1 || !strings.Contains(got[0], "created in pending_new") {
		t.Errorf("history of a new entity: %q", got)
	}
	p.shot("entity-page")

	p.simClick("event-exchange_ack")
	p.waitText("entity-state", "open")
	p.waitHighlight("open")
	if got := p.text("last-event"); got != "exchange_ack: pending_new → open / update_order_id, notify_ui_open, log_audit_trail" {
		t.Errorf("last event %q", got)
	}
	if er := p.button("execution_report"); !er.Disabled || er.Reason != "the payload needs fill_qty" {
		t.Errorf("execution_report without a payload on the entity page: %+v", er)
	}
	p.typeInto("payload-execution_report-fill_qty", "100")
	p.wait("execution_report to be enabled", fmt.Sprintf(`!%[1]s.disabled && %[1]s.closest(".sim-event").querySelector(".sim-target").textContent.trim() === "→ filled"`, tidJS("event-execution_report")))
	p.simClick("event-execution_report")
	p.waitText("entity-state", "filled")
	p.waitHighlight("filled")
	hist := p.historyRows()
	if len(hist) != 3 || !strings.Contains(hist[0], "open → filled") || !strings.Contains(hist[0], `payload {"fill_qty":100}`) ||
		!strings.Contains(hist[1], "pending_new → open") || !strings.Contains(hist[2], "created in pending_new") {
		t.Errorf("history (newest first): %q", hist)
	}
	var ctx map[string]any
	if err := json.Unmarshal([]byte(p.text("entity-context")), &ctx); err != nil || ctx["fill_qty"] != 100.0 {
		t.Errorf("entity context %v (%v), want fill_qty 100", ctx, err)
	}
	p.shot("entity-filled")
	p.noErrors()

	// back in the workspace: the counts per state and the badges
	p.open(orderURL)
	p.waitWorkspace()
	p.click("tab-entities")
	p.wait("the entities panel", `document.querySelectorAll("[data-testid=entity-row]").length === 2`)
	if got := p.entityCounts(); !reflect.DeepEqual(got, map[string]string{"pending_new": "1", "filled": "1"}) {
		t.Errorf("per-state counts %v, want pending_new 1, filled 1", got)
	}
	p.wait("the badges on the diagram", `(function(){
		var b = Array.from(document.querySelectorAll("[data-testid=diagram] svg g.stator-count")).map(function (g) { return g.dataset.state + "=" + g.textContent; }).sort();
		return JSON.stringify(b) === '["filled=1","pending_new=1"]';
	})()`)
	if got := p.highlighted(); len(got) != 0 {
		t.Errorf("the Entities tab highlights the simulator's state %v", got)
	}
	p.shot("entity-counts")
	n := p.settled()
	p.do("show the entities in filled", chromedp.Click(chromedp.CSS(`#entities button[aria-label="Show the entities in filled"]`)))
	p.waitSettled("the filtered list", n)
	rows := eval[[]string](p, `Array.from(document.querySelectorAll("[data-testid=entity-row]")).map(function (r) { return r.dataset.id + " " + r.querySelector("[data-testid=entity-state]").textContent; })`)
	if !equalStrings(rows, []string{"ord-e2e-1 filled"}) {
		t.Errorf("entities in filled: %q", rows)
	}
	p.click("tab-simulator")
	p.wait("the badges to go with the simulator tab", `!document.querySelector("[data-testid=diagram] svg g.stator-count")`)
	p.waitHighlight("pending_new")
	p.noErrors()
}

func mustFloat(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return f
}

// entityCounts are the entities panel's counts per state.
func (p *tab) entityCounts() map[string]string {
	p.t.Helper()
	return eval[map[string]string](p, `Object.fromEntries(Array.from(document.querySelectorAll("[data-testid=entity-count]")).map(function (c) { return [c.dataset.state, c.textContent.trim()]; }))`)
}

// historyRows are the entity page's history rows, newest first.
func (p *tab) historyRows() []string {
	p.t.Helper()
	return eval[[]string](p, `Array.from(document.querySelectorAll("[data-testid=history-row]")).map(function (r) { return r.textContent.replace(/\s+/g, " ").trim(); })`)
}
