package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPhoneWidth opens the machines page and a workspace at a phone's width
// (390×844): nothing makes the page scroll sideways, and every control has
// an accessible name.
func TestPhoneWidth(t *testing.T) {
	t.Parallel()
	base := startServer(t)
	sh := newShots(t)
	p := openTab(t, newBrowser(t), base, sh, false)
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)))

	check := func(what string) {
		t.Helper()
		if o := p.overflow(); o.ScrollWidth > o.InnerWidth {
			t.Errorf("%s: the page is %dpx wide in a %dpx viewport; sticking out: %v", what, o.ScrollWidth, o.InnerWidth, o.Culprits)
		}
		if bad := p.unnamedControls(); len(bad) > 0 {
			t.Errorf("%s: controls without an accessible name: %v", what, bad)
		}
	}

	p.open("/")
	p.wait("the machine list", tidJS("machine-list"))
	check("machines page")
	p.shot("machines")
	p.click("new-machine")
	p.wait("the new machine form", `document.querySelector(".new-menu").open`)
	check("machines page with the New menu open")
	p.shot("machines-new-menu")

	id := eval[string](p, `document.querySelector('[data-testid=machine-row][data-name=order_management]').dataset.id`)
	p.open("/machines/" + id)
	p.waitWorkspace()
	check("workspace")
	p.shot("workspace")
	p.do("open the export menu", chromedp.Click(chromedp.CSS(".export-menu > summary")))
	p.wait("the export menu", `document.querySelector(".export-menu").open`)
	p.click("share")
	p.wait("the share links", `((document.querySelector("[data-testid=draft-url]") || {}).value || "").indexOf("/draft#z=") > 0`)
	if eval[bool](p, `document.querySelector(".export-menu").open`) {
		t.Error("the Export menu stays open over the page after a click elsewhere")
	}
	check("workspace with the share panel")
	p.shot("workspace-share")
	p.click("tab-entities")
	p.wait("the entities panel", tidJS("create-entity"))
	check("workspace, entities tab")
	p.shot("workspace-entities")

	// an entity's page (its columns' minimum widths beat the phone rules:
	// it was 700px wide)
	createEntity(t, base, "doc-phone", "document_approval", "submit")
	p.open("/entities/doc-phone")
	p.wait("the entity page", `Number(document.querySelector("[data-testid=diagram]").dataset.rendered) >= 1 && `+tidJS("send-event"))
	check("entity page")
	p.shot("entity-page")
	p.noErrors()
}

// createEntity creates an entity of a stored machine through the API and
// sends it the given events.
func createEntity(t *testing.T, base, id, machine string, events ...string) {
	t.Helper()
	post := func(path, body string) {
		t.Helper()
		res, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode/100 != 2 {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
		}
	}
	post("/api/v1/entities/"+id+"/create", `{"machine_name": `+js(machine)+`}`)
	for _, e := range events {
		post("/api/v1/entities/"+id+"/events", `{"trigger": `+js(e)+`}`)
	}
}
