package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// countMachines is how many machines the store holds.
func countMachines(t *testing.T, base string) int {
	t.Helper()
	var list struct{ Machines []struct{ ID string } }
	if err := json.Unmarshal(call(t, "GET", base+"/api/v1/machines", nil).body, &list); err != nil {
		t.Fatal(err)
	}
	return len(list.Machines)
}

// TestNewMachinePage: "New" opens an unsaved workspace on the template's
// text (renamed when the name is taken) and stores nothing; the first save
// (POST /new) stores it and tells the page where it lives. Before, every
// "New" stored an untitled_copy_N even when abandoned.
func TestNewMachinePage(t *testing.T) {
	base, _ := testServer(t)
	before := countMachines(t, base)

	tests := []struct {
		name     string
		query    string
		status   int
		wantName string
	}{
		{name: "a template whose name is taken", query: "?template=order_management", status: 200, wantName: "order_management_copy"},
		{name: "blank", query: "?template=blank", status: 200, wantName: "untitled"},
		{name: "no template is blank", query: "", status: 200, wantName: "untitled"},
		{name: "an unknown template", query: "?template=nope", status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := http.Get(base + "/new" + tc.query)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("GET /new%s: %d, want %d", tc.query, res.StatusCode, tc.status)
			}
			if tc.status != 200 {
				return
			}
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			html := string(b)
			for _, want := range []string{`data-mode="new"`, `id="ws-name">` + tc.wantName + `<`, `hx-post="/new"`, `data-testid="save"`, `data-testid="discard-draft"`} {
				if !strings.Contains(html, want) {
					t.Errorf("the new workspace lacks %s", want)
				}
			}
			if strings.Contains(html, `data-testid="tab-entities"`) || strings.Contains(html, `data-testid="fork"`) {
				t.Error("a machine that is not stored offers entities or a fork")
			}
		})
	}
	if got := countMachines(t, base); got != before {
		t.Fatalf("opening New stored %d machines", got-before)
	}

	// the first save stores it
	tpl, err := os.ReadFile("examples/order_management.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(tpl), "machine_name: order_management", `machine_name: "order_management_copy"`, 1)
	r := postForm(t, base+"/new", map[string]string{"yaml": text}, "HX-Request", "true")
	wantStatus(t, r, 200)
	m := regexp.MustCompile(`\{"stator:created": \{"url": "(/machines/[^"]+)"\}\}`).FindStringSubmatch(r.header.Get("HX-Trigger"))
	if m == nil {
		t.Fatalf("HX-Trigger %q, want stator:created with the machine's URL", r.header.Get("HX-Trigger"))
	}
	if !strings.Contains(string(r.body), "Saved revision 1.") {
		t.Errorf("save status: %s", r.body)
	}
	if html := page(t, base+m[1]); !strings.Contains(html, `id="ws-name">order_management_copy<`) {
		t.Error("the stored machine's page does not show its name")
	}
	if got := countMachines(t, base); got != before+1 {
		t.Errorf("%d machines after the first save, want %d", got, before+1)
	}

	// a text with errors is not stored, and the fragment says why
	r = postForm(t, base+"/new", map[string]string{"yaml": strings.Replace(text, "dest: open", "dest: nowhere", 1)}, "HX-Request", "true")
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), "Not saved: fix the 1 error listed under Problems first.") || r.header.Get("HX-Trigger") != "" {
		t.Errorf("invalid first save: %s (HX-Trigger %q)", r.body, r.header.Get("HX-Trigger"))
	}
	if got := countMachines(t, base); got != before+1 {
		t.Errorf("an invalid first save stored a machine")
	}
}

// TestSimulatorContextEmpty: before the context is filled, its fields are
// empty with a placeholder that cannot pass for a value, the defaults are
// written beside them, and a notice says the context is empty. (The
// defaults were the placeholders: greyed values that looked set.)
func TestSimulatorContextEmpty(t *testing.T) {
	base, _ := testServer(t)
	tpl, err := os.ReadFile("examples/order_management.yaml")
	if err != nil {
		t.Fatal(err)
	}
	input := regexp.MustCompile(`<input[^>]*data-testid="ctx-order_qty"[^>]*>`)

	r := postForm(t, base+"/workspace/simulate", map[string]string{"yaml": string(tpl), "op": "refresh"})
	wantStatus(t, r, 200)
	body := string(r.body)
	field := input.FindString(body)
	if field == "" {
		t.Fatalf("no ctx-order_qty field:\n%s", body)
	}
	if strings.Contains(field, `placeholder="100"`) || !strings.Contains(field, `placeholder="not set"`) || !strings.Contains(field, `value=""`) {
		t.Errorf("the empty order_qty field is %s, want no value and the placeholder \"not set\"", field)
	}
	for _, want := range []string{`data-testid="default-order_qty">default 100<`, `data-testid="context-empty"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the empty context lacks %s", want)
		}
	}

	r = postForm(t, base+"/workspace/simulate", map[string]string{"yaml": string(tpl), "op": "fill"})
	body = string(r.body)
	if field := input.FindString(body); !strings.Contains(field, `value="100"`) {
		t.Errorf("after Fill the order_qty field is %s, want the value 100", field)
	}
	if strings.Contains(body, `data-testid="context-empty"`) {
		t.Error("the context-empty notice stays after Fill")
	}
}
