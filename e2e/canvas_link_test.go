package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// svgBox is where an element of the diagram's SVG is on screen (the middle
// of its first match), or W < 0 when there is none.
func (p *tab) svgBox(sel string) rect {
	p.t.Helper()
	return eval[rect](p, fmt.Sprintf(`(function () {
		var e = %s.querySelector(%s);
		if (!e) return {x: -1, y: -1, w: -1, h: -1};
		var r = (e.querySelector("rect") || e).getBoundingClientRect();
		return {x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width, h: r.height};
	})()`, diagramJS, js(sel)))
}

// clickSVG clicks the middle of an SVG element with the mouse, as a person
// would (pointer events through the viewport).
func (p *tab) clickSVG(sel string) {
	p.t.Helper()
	p.wait("the diagram to show "+sel, diagramJS+`.querySelector(`+js(sel)+`)`)
	b := p.svgBox(sel)
	pane := p.rect("[data-testid=diagram]")
	if b.X < pane.X || b.Y < pane.Y || b.X > pane.X+pane.W || b.Y > pane.Y+pane.H {
		p.fail("%s is outside the diagram's pane (%+v in %+v)", sel, b, pane)
	}
	p.do("click "+sel, chromedp.MouseClickXY(b.X, b.Y))
}

// hoverSVG moves the mouse over the middle of an SVG element.
func (p *tab) hoverSVG(sel string) {
	p.t.Helper()
	b := p.svgBox(sel)
	p.do("hover "+sel, chromedp.MouseEvent("mouseMoved", b.X-3, b.Y-3), chromedp.MouseEvent("mouseMoved", b.X, b.Y))
}

// editorSelection is window.statorEditor.getSelection().
type editorSelection struct {
	From struct{ Line, Col int } `json:"from"`
	To   struct{ Line, Col int } `json:"to"`
}

func (p *tab) editorSelection() editorSelection {
	p.t.Helper()
	return eval[editorSelection](p, `window.statorEditor.getSelection()`)
}

// lineOf is the 1-based number of the first line of text containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q is not in the text", s)
	}
	return strings.Count(text[:i], "\n") + 1
}

// selectedOnDiagram lists what carries data-selected="true": states by
// name, transitions as "#index".
func (p *tab) selectedOnDiagram() []string {
	p.t.Helper()
	return eval[[]string](p, `(function () {
		var out = [];
		`+diagramJS+`.querySelectorAll('svg [data-selected="true"]').forEach(function (e) {
			var k = e.hasAttribute("data-state") ? e.dataset.state : "#" + e.dataset.transition;
			if (out.indexOf(k) < 0) out.push(k);
		});
		return out.sort();
	})()`)
}

// waitSelectedOnDiagram waits until exactly these carry data-selected.
func (p *tab) waitSelectedOnDiagram(want ...string) {
	p.t.Helper()
	p.wait("the diagram to mark "+strings.Join(want, ", ")+" selected", fmt.Sprintf(`(function () {
		var out = [];
		%s.querySelectorAll('svg [data-selected="true"]').forEach(function (e) {
			var k = e.hasAttribute("data-state") ? e.dataset.state : "#" + e.dataset.transition;
			if (out.indexOf(k) < 0) out.push(k);
		});
		return JSON.stringify(out.sort()) === %s;
	})()`, diagramJS, js(jsonOf(want))))
}

func jsonOf(list []string) string {
	sorted := append([]string(nil), list...)
	sort.Strings(sorted)
	b, _ := json.Marshal(sorted)
	return string(b)
}

// TestCanvasTextLinkInBrowser links the diagram and the text on the order
// example: a click on a state selects its definition in the editor; the
// cursor on a reference (dest, a source in a list, a timeout's destination)
// marks that state, the cursor in a transition marks its edge; hovering a
// state shows its description, actions and timer; none of it redraws.
func TestCanvasTextLinkInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.openExample("order_management")
	text := p.editorText()
	p.click("diagram-fit")
	drawn := p.rendered()

	// picture → text
	p.clickSVG(`g[data-state="partially_filled"]`)
	p.wait("the editor to select partially_filled's definition", fmt.Sprintf(`window.statorEditor.getSelection().from.line === %d`, lineOf(t, text, "- name: partially_filled")))
	if sel := p.editorSelection(); sel.From.Line != sel.To.Line || sel.To.Col-sel.From.Col != len("partially_filled") {
		t.Errorf("the selection is %+v, want the name partially_filled", sel)
	}
	p.waitSelectedOnDiagram("partially_filled")
	p.shot("clicked-partially_filled")

	// text → picture
	for _, tc := range []struct {
		name string
		line string // the line the cursor goes to, and the text after which it goes
		at   string
		want []string
	}{
		{"dest of a transition", "    dest: filled", "dest: fi", []string{"filled", "#2"}},
		{"a source in a list", "    source: [open, partially_filled]", "[open, par", []string{"partially_filled", "#2"}},
		{"a timeout's destination", "timeout: {seconds: 5, destination: timed_out_ack}", "destination: timed", []string{"timed_out_ack"}},
		{"a state's definition", "  - {name: rejected, type: terminal}", "type: term", []string{"rejected"}},
		{"a transition's trigger", "  - trigger: cancel_request", "trigger: can", []string{"#4"}},
		{"a flow-style transition", "{trigger: exchange_nack", "exchange_n", []string{"#1"}},
	} {
		line := lineOf(t, text, tc.line)
		lineText := strings.Split(text, "\n")[line-1]
		col := strings.Index(lineText, tc.at) + len(tc.at) + 1
		eval[chromedp.Void](p, fmt.Sprintf(`window.statorEditor.setCursor(%d, %d)`, line, col))
		p.waitSelectedOnDiagram(tc.want...)
	}

	// hover cards
	p.hoverSVG(`g[data-state="pending_new"]`)
	p.wait("the hover card of pending_new", `(function(){var t=document.querySelector("[data-testid=canvas-tip]"); return t && !t.hidden && /Sent, waiting for the exchange/.test(t.textContent) && /5s → timed_out_ack/.test(t.textContent)})()`)
	p.hoverSVG(`g[data-state="open"]`)
	p.wait("the hover card of open", `(function(){var t=document.querySelector("[data-testid=canvas-tip]"); return t && !t.hidden && /notify_ui_open, log_audit_trail/.test(t.textContent)})()`)
	p.shot("hover-open")

	if got := p.rendered(); got != drawn {
		t.Errorf("selecting and hovering redrew the diagram (data-rendered %d -> %d)", drawn, got)
	}
	p.noErrors()
}

// TestCanvasSimulateInBrowser fires transitions from the diagram: after
// "Fill from state variables" the order machine's exchange_ack edge is
// available, a click on it moves the simulator to open like its button;
// there, cancel_request is available and the guarded execution_report
// edges are blocked with the simulator's reason, and their hover card shows
// each guard's answer.
func TestCanvasSimulateInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.openExample("order_management")
	p.click("diagram-fit")
	p.simClick("fill-from-vars")
	p.wait("exchange_ack to be available on the diagram", diagramJS+`.querySelector('path[data-transition="0"][data-available="true"]')`)
	if got := eval[int](p, diagramJS+`.querySelectorAll('path[data-available="true"]').length`); got != 2 {
		t.Errorf("%d edges are available from pending_new, want 2 (exchange_ack, exchange_nack)", got)
	}

	n := p.settled()
	p.clickSVG(`.edgeLabel[data-transition="0"]`)
	p.waitSettled("the simulator's answer", n)
	p.waitText("sim-state", "open")
	p.waitHighlight("open")
	p.wait("open's transitions on the diagram", diagramJS+`.querySelector('path[data-transition="4"][data-available="true"]')`)

	// execution_report: fill_qty 0 of 100, both guards false
	reason := p.button("execution_report").Reason
	if reason == "" {
		t.Fatalf("execution_report is not disabled at fill_qty 0: %+v", p.button("execution_report"))
	}
	for _, idx := range []string{"2", "3"} {
		if got := eval[string](p, diagramJS+`.querySelector('path[data-transition="`+idx+`"]').getAttribute("data-reason") || ""`); got != reason {
			t.Errorf("transition %s: data-reason %q, want the button's %q", idx, got, reason)
		}
	}
	p.hoverSVG(`.edgeLabel[data-transition="3"]`)
	p.wait("the guards of transition 3 with their answers", `(function(){var t=document.querySelector("[data-testid=canvas-tip]");
		var g=t && t.querySelector('[data-guard="is_partial_fill"]'); return !t.hidden && g && g.classList.contains("fail") && /0 < fill_qty < order_qty/.test(g.textContent)})()`)
	p.shot("blocked-execution_report")

	// a blocked edge does not fire: it selects the transition
	n = p.settled()
	p.clickSVG(`.edgeLabel[data-transition="3"]`)
	p.waitSelectedOnDiagram("#3")
	if got := p.text("sim-state"); got != "open" {
		t.Errorf("clicking a blocked transition moved the simulator to %q", got)
	}
	if p.settled() != n {
		t.Errorf("clicking a blocked transition sent a request")
	}
	p.noErrors()
}

// TestEditorHelpInBrowser: completion offers the machine's state names
// after "dest: ", triggers after "trigger: ", and the keys of a transition
// with their description; F12 on a reference goes to the state's definition.
func TestEditorHelpInBrowser(t *testing.T) {
	t.Parallel()
	base := startServer(t, noScheduler)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.openExample("order_management")
	text := p.editorText()

	// a new transition at the end; the last key typed for real
	p.insertAtEnd("  - trigger: cancel_request\n    source: open\n    dest:")
	p.do("type a space", chromedp.KeyEvent(" "))
	options := func() []string {
		return eval[[]string](p, `Array.from(document.querySelectorAll(".cm-tooltip-autocomplete li .cm-completionLabel")).map(function (e) { return e.textContent; })`)
	}
	p.wait("the completion of state names", `document.querySelectorAll(".cm-tooltip-autocomplete li").length > 0`)
	got := options()
	for _, want := range []string{"pending_new", "open", "partially_filled", "filled", "rejected", "canceled", "timed_out_ack"} {
		if !slices.Contains(got, want) {
			t.Errorf("after dest: the completion offers %v, without %s", got, want)
		}
	}
	p.shot("completion-dest")
	p.pickCompletion(got[0])
	if tail := p.editorText(); !strings.HasSuffix(strings.TrimRight(tail, "\n"), "dest: "+got[0]) {
		t.Errorf("Enter did not complete %q: the text ends %q", got[0], tail[len(tail)-40:])
	}

	// keys of a transition, with their line
	p.insertAtEnd("\n    g")
	p.do("type u", chromedp.KeyEvent("u"))
	p.wait("the completion of keys", `Array.from(document.querySelectorAll(".cm-tooltip-autocomplete li .cm-completionLabel")).some(function (e) { return e.textContent === "guards"; })`)
	p.pickCompletion("guards")
	p.wait("guards: to be typed", `/\n    guards: $/.test(window.statorEditor.getText())`)
	p.do("ask for guard names", chromedp.KeyEvent(" ", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.wait("guard names", `Array.from(document.querySelectorAll(".cm-tooltip-autocomplete li .cm-completionLabel")).some(function (e) { return e.textContent === "is_cancellable"; })`)
	p.do("close it", chromedp.KeyEvent("\x1b"))

	// go to definition: F12, then Ctrl+click
	line := lineOf(t, text, "    dest: partially_filled")
	eval[chromedp.Void](p, fmt.Sprintf(`window.statorEditor.setCursor(%d, 14)`, line))
	p.do("F12", chromedp.KeyEvent(kb.F12))
	p.wait("F12 to select partially_filled's definition", fmt.Sprintf(`window.statorEditor.getSelection().from.line === %d`, lineOf(t, text, "- name: partially_filled")))
	at := p.editorCoords(text, "    source: open\n    dest: partially_filled", len("    source: o"))
	p.do("Ctrl+click open", chromedp.MouseClickXY(at.X, at.Y, chromedp.ButtonModifiers(chromedp.ModifierCtrl)))
	p.wait("Ctrl+click to select open's definition", fmt.Sprintf(`window.statorEditor.getSelection().from.line === %d`, lineOf(t, text, "- name: open")))

	// hover help on a key
	at = p.editorCoords(text, "    source: open\n    dest: partially_filled", len("    so"))
	p.do("hover source:", chromedp.MouseEvent("mouseMoved", at.X-2, at.Y), chromedp.MouseEvent("mouseMoved", at.X, at.Y))
	p.wait("the key's help", `(function(){var t=document.querySelector(".cm-stator-hover"); return t && /The state it leaves/.test(t.textContent)})()`)
	p.shot("hover-key")
	p.noErrors()
}

// editorCoords is where the character at offset off of the first match of
// s in text is on screen (scrolled into view first).
func (p *tab) editorCoords(text, s string, off int) rect {
	p.t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		p.fail("%q is not in the text", s)
	}
	pos := len([]rune(text[:i+off]))
	return eval[rect](p, fmt.Sprintf(`new Promise(function (done) {
		var v = StatorWorkspace.editor.view;
		v.dispatch({effects: v.constructor.scrollIntoView(%d, {y: "center"})});
		requestAnimationFrame(function () { requestAnimationFrame(function () {
			var c = v.coordsAtPos(%d); done({x: c.left + 2, y: (c.top + c.bottom) / 2});
		}); });
	})`, pos, pos))
}

// pickCompletion clicks an option of the editor's completion list.
func (p *tab) pickCompletion(label string) {
	p.t.Helper()
	sel := fmt.Sprintf(`Array.from(document.querySelectorAll(".cm-tooltip-autocomplete li")).find(function (li) { return li.querySelector(".cm-completionLabel").textContent === %s; })`, js(label))
	p.wait("the option "+label, sel)
	b := eval[rect](p, `(function(){var r=`+sel+`.getBoundingClientRect(); return {x: r.left + 10, y: r.top + r.height / 2}})()`)
	p.do("pick "+label, chromedp.MouseClickXY(b.X, b.Y))
}

// insertAtEnd puts text at the end of the editor's document (as typing
// would, one transaction) and the cursor after it, focused.
func (p *tab) insertAtEnd(text string) {
	p.t.Helper()
	eval[chromedp.Void](p, fmt.Sprintf(`(function () { var v = StatorWorkspace.editor.view, n = v.state.doc.length;
		v.dispatch({changes: {from: n, insert: %s}, selection: {anchor: n + %d}, userEvent: "input.type", scrollIntoView: true}); v.focus(); })()`, js(text), len([]rune(text))))
}
