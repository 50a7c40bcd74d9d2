package e2e

import (
	"fmt"
	"sort"
	"strings"

	"github.com/chromedp/chromedp"
)

// workspaceReady is true once the workspace page has started: the editor,
// the first analysis and the first diagram render are there, and (for a
// valid machine) the simulator has answered.
const workspaceReady = `!!(window.StatorWorkspace && StatorWorkspace.ready && window.statorEditor &&
	Number(document.querySelector('[data-testid=diagram]').dataset.rendered) >= 1 &&
	document.querySelector('[data-testid=sim-state]'))`

// waitWorkspace waits for a workspace page to be ready.
func (p *tab) waitWorkspace() {
	p.t.Helper()
	p.wait("the workspace to be ready", workspaceReady)
	if msg := eval[string](p, `document.querySelector("[data-testid=diagram]").getAttribute("data-error") || ""`); msg != "" {
		p.fail("the diagram failed to render: %s", msg)
	}
}

// editorText is the editor's text (window.statorEditor.getText).
func (p *tab) editorText() string {
	p.t.Helper()
	return eval[string](p, `window.statorEditor.getText()`)
}

// setEditorText replaces the editor's text as typing would
// (window.statorEditor.setText) and waits until the server's analysis of
// that text is on the page.
func (p *tab) setEditorText(text string) {
	p.t.Helper()
	n := p.settled()
	eval[chromedp.Void](p, fmt.Sprintf(`window.statorEditor.setText(%s)`, js(text)))
	p.waitAnalysisOf(text, n)
}

// waitAnalysisOf waits until the problems panel shows the analysis of text:
// the last analysis request that settled carried that text (an analysis of
// what was typed on the way does not count).
func (p *tab) waitAnalysisOf(text string, settledBefore int) {
	p.t.Helper()
	p.wait("the analysis of the new text", fmt.Sprintf(
		`window.__stator.settled > %d && window.__stator.analyzed === %s && !document.querySelector("#analyze-form.htmx-request")`,
		settledBefore, js(text)))
}

// problem is one item of the problems list.
type problem struct {
	Code     string `json:"code"`
	Line     int    `json:"line"`
	Severity string `json:"severity"`
	Text     string `json:"text"`
}

func (p *tab) problems() []problem {
	p.t.Helper()
	return eval[[]problem](p, `Array.from(document.querySelectorAll('[data-testid=problems] [data-testid=problem]')).map(function (li) {
		return {code: li.dataset.code, line: Number(li.dataset.line), severity: li.dataset.severity, text: li.textContent.replace(/\s+/g, " ").trim()};
	})`)
}

// lintMarks says where CodeMirror marks problems: the line of each
// underlined range and of each gutter marker, and the underlined text.
type lintMarks struct {
	RangeLines  []int    `json:"rangeLines"`
	RangeTexts  []string `json:"rangeTexts"`
	GutterLines []int    `json:"gutterLines"`
}

func (p *tab) lintMarks() lintMarks {
	p.t.Helper()
	return eval[lintMarks](p, `(function () {
		var view = StatorWorkspace.editor.view, doc = view.state.doc;
		var out = {rangeLines: [], rangeTexts: [], gutterLines: []};
		document.querySelectorAll("#editor .cm-lintRange-error").forEach(function (el) {
			out.rangeLines.push(doc.lineAt(view.posAtDOM(el)).number);
			out.rangeTexts.push(el.textContent);
		});
		document.querySelectorAll("#editor .cm-gutter-lint .cm-lint-marker-error").forEach(function (el) {
			var r = el.getBoundingClientRect();
			out.gutterLines.push(doc.lineAt(view.lineBlockAtHeight(r.top + r.height / 2 - view.documentTop).from).number);
		});
		return out;
	})()`)
}

// cursor is the editor's cursor: line and column (1-based), and focus.
type cursor struct {
	Line    int  `json:"line"`
	Column  int  `json:"column"`
	Focused bool `json:"focused"`
}

func (p *tab) cursor() cursor {
	p.t.Helper()
	return eval[cursor](p, `(function () {
		var view = StatorWorkspace.editor.view, head = view.state.selection.main.head, line = view.state.doc.lineAt(head);
		return {line: line.number, column: head - line.from + 1, focused: view.hasFocus};
	})()`)
}

// diagramLabels are the edge labels of the drawn diagram.
func (p *tab) diagramLabels() []string {
	p.t.Helper()
	return eval[[]string](p, `Array.from(document.querySelectorAll('[data-testid=diagram] svg g.edgeLabel')).map(function (e) {
		return e.textContent.replace(/\s+/g, " ").trim();
	}).filter(function (s) { return s !== ""; })`)
}

func hasLabel(labels []string, prefix string) bool {
	for _, l := range labels {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func (p *tab) visible(id string) bool {
	p.t.Helper()
	return eval[bool](p, fmt.Sprintf(`(function(){var e=%s;return !!e && !e.hidden && e.getClientRects().length > 0})()`, tidJS(id)))
}

// machineRows are the data-name of the machines page's rows.
func (p *tab) machineRows() []string {
	p.t.Helper()
	names := eval[[]string](p, `Array.from(document.querySelectorAll('[data-testid=machine-list] [data-testid=machine-row]')).map(function (r) { return r.dataset.name; })`)
	sort.Strings(names)
	return names
}
