package e2e

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"strings"
	"testing"
)

// deflated is s compressed as the page's draft links are (raw deflate,
// base64url without padding).
func deflated(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	return base64.RawURLEncoding.EncodeToString(b.Bytes())
}

// TestDraftLinksInBrowser: a draft link that inflates past 1 MiB, or that
// was cut or changed, is explained in the page (no raw JavaScript error, no
// runaway memory), and its "Fork to edit" cannot make a blank machine.
func TestDraftLinksInBrowser(t *testing.T) {
	base := startServer(t)
	ctx := newBrowser(t)
	sh := newShots(t)
	huge := `{"yaml": "` + strings.Repeat("a", 50<<20) + `"}` // 50 MiB that compresses to ~50 KB
	good := deflated(t, `{"yaml": "meta: {machine_name: door}\nstates:\n  - {name: shut, type: initial}\ntransitions: []\n"}`)
	tests := []struct {
		name, fragment, want string
	}{
		{"inflates past 1 MiB", "#z=" + deflated(t, huge), "more than 1 MiB"},
		{"cut short", "#z=" + good[:len(good)/2], "damaged"},
		{"not base64url", "#z=" + strings.Repeat("A", 5), "damaged"},
		{"garbage that inflates", "#z=" + deflated(t, "not json at all"), "damaged"},
		{"no machine", "#nothing", "carries no machine"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := openTab(t, ctx, base, sh, true)
			p.open("/draft" + tc.fragment)
			p.wait("the workspace to start", `window.StatorWorkspace && window.StatorWorkspace.ready`)
			got := eval[string](p, `document.getElementById("save-status").textContent`)
			if !strings.Contains(got, tc.want) || strings.Contains(got, "Failed to execute") {
				t.Errorf("the page says %q, want a message with %q", got, tc.want)
			}
			if !eval[bool](p, `document.querySelector("[data-testid=fork]").disabled`) {
				t.Error("Fork to edit is enabled on a draft link that holds no machine")
			}
			p.shot(tc.name)
		})
	}
	// the good link still opens
	p := openTab(t, ctx, base, sh, true)
	p.open("/draft#z=" + good)
	p.wait("the draft's text in the editor", `window.statorEditor && window.statorEditor.getText().indexOf("machine_name: door") >= 0`)
	p.noErrors()
}
