package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// postForm posts a form the way the pages do (multipart for htmx forms).
func postForm(t *testing.T, u string, fields map[string]string, headers ...string) response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	w.Close()
	req, _ := http.NewRequest("POST", u, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: body}
}

func page(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
	}
	return string(b)
}

func machineID(t *testing.T, base, name string) string {
	t.Helper()
	r := call(t, "GET", base+"/api/v1/machines", nil)
	var list struct {
		Machines []struct{ ID, Name string }
	}
	json.Unmarshal(r.body, &list)
	for _, m := range list.Machines {
		if m.Name == name {
			return m.ID
		}
	}
	t.Fatalf("no machine %s", name)
	return ""
}

func TestMachinesPage(t *testing.T) {
	base, _ := testServer(t)
	html := page(t, base+"/")
	for _, want := range []string{`data-testid="machine-list"`, `data-testid="new-machine"`, `data-name="order_management"`, `data-name="trading_desk"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the machines page lacks %s", want)
		}
	}
	// New from a template whose name is taken: a renamed copy
	r := postForm(t, base+"/machines", map[string]string{"template": "order_management"})
	if r.status != 303 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	id := strings.TrimPrefix(r.header.Get("Location"), "/machines/")
	m := call(t, "GET", base+"/api/v1/machines/"+id, nil).json(t)
	if m["name"] != "order_management_copy" || !strings.Contains(m["yaml"].(string), `machine_name: "order_management_copy"`) {
		t.Errorf("new from template: %v\n%s", m["name"], m["yaml"])
	}
	r = postForm(t, base+"/machines", map[string]string{"template": "order_management"})
	id2 := strings.TrimPrefix(r.header.Get("Location"), "/machines/")
	if n := call(t, "GET", base+"/api/v1/machines/"+id2, nil).json(t)["name"]; n != "order_management_copy_2" {
		t.Errorf("second copy: %v", n)
	}
	r = postForm(t, base+"/machines", map[string]string{"template": "blank"})
	if r.status != 303 {
		t.Fatalf("blank: %d %s", r.status, r.body)
	}
	if r := postForm(t, base+"/machines", map[string]string{"template": "nope"}); r.status != 400 {
		t.Errorf("unknown template: %d", r.status)
	}
	// Fork the current editor text
	r = postForm(t, base+"/machines/"+id+"/fork", map[string]string{"yaml": m["yaml"].(string)})
	fid := strings.TrimPrefix(r.header.Get("Location"), "/machines/")
	if n := call(t, "GET", base+"/api/v1/machines/"+fid, nil).json(t)["name"]; n != "order_management_copy_fork" {
		t.Errorf("fork: %v", n)
	}
	// Delete: a machine with entities asks for cascade
	call(t, "POST", base+"/api/v1/entities", map[string]any{"id": "x1", "machine_id": fid})
	r = postForm(t, base+"/machines/"+fid+"/delete", nil)
	if r.status != 409 || !strings.Contains(string(r.body), "cascade") || !strings.Contains(string(r.body), `data-testid="machine-list"`) {
		t.Errorf("delete with entities: %d; want the machines page again, saying why (cascade)", r.status)
	}
	// the page shows no message it is handed in its address
	if strings.Contains(page(t, base+"/?error=Your+machine+was+deleted"), "Your machine was deleted") {
		t.Error("/?error= is shown on the machines page")
	}
	r = postForm(t, base+"/machines/"+fid+"/delete", map[string]string{"cascade": "true"})
	if r.status != 303 || r.header.Get("Location") != "/" {
		t.Errorf("delete: %d %s", r.status, r.header.Get("Location"))
	}
	wantStatus(t, call(t, "GET", base+"/api/v1/machines/"+fid, nil), 404)
}

func TestWorkspacePage(t *testing.T) {
	base, _ := testServer(t)
	id := machineID(t, base, "order_management")
	html := page(t, base+"/machines/"+id)
	for _, want := range []string{`data-testid="editor"`, `data-testid="diagram"`, `data-testid="problems"`, `data-testid="save"`, `data-testid="share"`, `data-testid="fork"`, `id="workspace-data"`, `stateDiagram-v2`} {
		if !strings.Contains(html, want) {
			t.Errorf("the workspace lacks %s", want)
		}
	}
	// analysis of broken text: the problem with its line
	text := "meta: {machine_name: x}\nstates:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: zzz}\n"
	r := postForm(t, base+"/workspace/analyze", map[string]string{"yaml": text})
	wantStatus(t, r, 200)
	if !regexp.MustCompile(`data-testid="problem" data-code="unknown_state" data-line="5" data-column="\d+" data-severity="error"`).Match(r.body) {
		t.Errorf("problem item: %s", r.body)
	}
	// save: invalid text is refused in the fragment, valid text is a revision
	r = postForm(t, base+"/machines/"+id+"/save", map[string]string{"yaml": text})
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), "Not saved") || r.header.Get("HX-Trigger") != "" {
		t.Errorf("invalid save: %s %v", r.body, r.header)
	}
	m := call(t, "GET", base+"/api/v1/machines/"+id, nil).json(t)
	edited := m["yaml"].(string) + "  - {trigger: amend, source: open, dest: open}\n"
	r = postForm(t, base+"/machines/"+id+"/save", map[string]string{"yaml": edited})
	if !strings.Contains(string(r.body), "Saved revision 2") || !strings.Contains(r.header.Get("HX-Trigger"), `"revision": 2`) {
		t.Errorf("save: %s %v", r.body, r.header)
	}
	// a save that would clash with another machine's name and version
	other := strings.Replace(edited, "machine_name: order_management", "machine_name: traffic_light", 1)
	r = postForm(t, base+"/machines/"+id+"/save", map[string]string{"yaml": other})
	if !strings.Contains(string(r.body), "Not saved: a machine named") {
		t.Errorf("conflicting save: %s", r.body)
	}
	// share, then the read-only view and the draft page
	r = postForm(t, base+"/workspace/share", map[string]string{"yaml": edited, "trace": `{"context":{},"steps":[{"kind":"event","trigger":"exchange_ack"}],"at":1}`})
	wantStatus(t, r, 200)
	u := regexp.MustCompile(`data-testid="share-url" type="url" readonly value="([^"]+)"`).FindSubmatch(r.body)
	if u == nil {
		t.Fatalf("share panel: %s", r.body)
	}
	shared := page(t, string(u[1]))
	if !strings.Contains(shared, "amend") || !strings.Contains(shared, "read-only") || !strings.Contains(shared, `exchange_ack`) {
		t.Errorf("the share page shows the text and the trace")
	}
	if r := postForm(t, base+"/workspace/share", map[string]string{"yaml": "x", "trace": "{broken"}); r.status != 400 {
		t.Errorf("broken trace: %d", r.status)
	}
	page(t, base+"/draft")
}

func TestExport(t *testing.T) {
	base, _ := testServer(t)
	text := "meta: {machine_name: door}\nstates:\n  - {name: closed, type: initial}\n  - {name: open}\ntransitions:\n  - {trigger: push, source: closed, dest: open}\n  - {trigger: pull, source: open, dest: closed}\n"
	tests := []struct{ format, file, contains string }{
		{"yaml", "door.yaml", "machine_name: door"},
		{"json", "door.json", `"machine_name": "door"`},
		{"mermaid", "door.mmd", "stateDiagram-v2"},
		{"dot", "door.dot", "digraph"},
	}
	for _, tc := range tests {
		r := postForm(t, base+"/workspace/export", map[string]string{"yaml": text, "format": tc.format})
		wantStatus(t, r, 200)
		if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="`+tc.file+`"` || !strings.Contains(string(r.body), tc.contains) {
			t.Errorf("%s: %s %s", tc.format, cd, r.body)
		}
	}
	if r := postForm(t, base+"/workspace/export", map[string]string{"yaml": "states: [", "format": "mermaid"}); r.status != 400 {
		t.Errorf("mermaid of broken text: %d", r.status)
	}
	if r := postForm(t, base+"/workspace/export", map[string]string{"yaml": text, "format": "png"}); r.status != 400 {
		t.Errorf("unknown format: %d", r.status)
	}
}

func TestEntityPages(t *testing.T) {
	base, _ := testServer(t)
	id := machineID(t, base, "order_management")
	r := postForm(t, base+"/machines/"+id+"/entities", map[string]string{"id": "o-7", "context": `{"order_qty": 100}`})
	wantStatus(t, r, 200)
	if !strings.Contains(string(r.body), `data-testid="entity-count" data-state="pending_new">1<`) || !strings.Contains(string(r.body), `data-id="o-7"`) {
		t.Errorf("entities panel after create: %s", r.body)
	}
	r = postForm(t, base+"/machines/"+id+"/entities", map[string]string{"id": "o-7"})
	if !strings.Contains(string(r.body), "already exists") {
		t.Errorf("duplicate id: %s", r.body)
	}
	r = postForm(t, base+"/machines/"+id+"/entities", map[string]string{"context": "[1]"})
	if !strings.Contains(string(r.body), "must be a JSON object") {
		t.Errorf("bad context: %s", r.body)
	}
	html := page(t, base+"/entities/o-7")
	if !strings.Contains(html, `data-testid="entity-state">pending_new<`) || !strings.Contains(html, `data-testid="send-event"`) {
		t.Errorf("entity page")
	}
	r = postForm(t, base+"/entities/o-7/send", map[string]string{"op": "event:exchange_ack"})
	if !strings.Contains(string(r.body), `data-testid="entity-state">open<`) || !strings.Contains(string(r.body), "exchange_ack: pending_new → open") {
		t.Errorf("send: %s", r.body)
	}
	r = postForm(t, base+"/entities/o-7/send", map[string]string{"op": "event:execution_report", "payload.execution_report.fill_qty": "0"})
	if !strings.Contains(string(r.body), "execution_report refused: → filled: fill_qty &gt;= order_qty: 0 &gt;= 100 is false") {
		t.Errorf("refused: %s", r.body)
	}
	if n := strings.Count(string(r.body), `data-testid="history-row"`); n != 3 {
		t.Errorf("%d history rows, want 3", n)
	}
	r = postForm(t, base+"/entities/o-7/send", map[string]string{"op": "refresh", "payload.execution_report.fill_qty": "100"})
	if !strings.Contains(string(r.body), `→ filled`) {
		t.Errorf("typing a payload re-checks the guards: %s", r.body)
	}
}

func TestPageErrors(t *testing.T) {
	base, _ := testServer(t)
	req, _ := http.NewRequest("GET", base+"/machines/nope", nil)
	req.Header.Set("Accept", "text/html")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || !strings.Contains(string(b), "<h1>Not Found</h1>") || !strings.Contains(string(b), `machine &#34;nope&#34;`) {
		t.Errorf("HTML 404: %d %s", res.StatusCode, b)
	}
	r := postForm(t, base+"/machines/nope/save", map[string]string{"yaml": "x"}, "HX-Request", "true")
	// invalid text is reported before the machine is looked up
	if r.status != 200 || !strings.Contains(string(r.body), "Not saved") {
		t.Errorf("save to an unknown machine with invalid text: %d %s", r.status, r.body)
	}
	valid := "meta: {machine_name: q}\nstates:\n  - {name: a, type: initial}\ntransitions: []\n"
	r = postForm(t, base+"/machines/nope/save", map[string]string{"yaml": valid}, "HX-Request", "true")
	if r.status != 404 || !strings.Contains(string(r.body), `class="flash error"`) {
		t.Errorf("htmx error fragment: %d %s", r.status, r.body)
	}
}

// TestForkOfNothing: "Fork to edit" with no text (a draft link that held no
// machine) is refused; it used to create a blank machine.
func TestForkOfNothing(t *testing.T) {
	base, st := testServer(t)
	before, _ := st.CountMachines(context.Background())
	if r := postForm(t, base+"/machines", map[string]string{"yaml": "", "fork": "true"}); r.status != 400 {
		t.Fatalf("fork of an empty text: %d, want 400", r.status)
	}
	if after, _ := st.CountMachines(context.Background()); after != before {
		t.Fatalf("%d machines after the refused fork, %d before", after, before)
	}
}
