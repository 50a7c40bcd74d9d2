package sim_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the simulation domain code: engine/sim imports the
// standard library and the engine only, never the web layer, templates,
// echo or the store.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-f", `{{range .Imports}}{{.}} {{end}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	imports := strings.Fields(string(out))
	found := false
	for _, p := range imports {
		first, _, _ := strings.Cut(p, "/")
		switch {
		case p == "github.com/statorhq/stator/engine":
			found = true
		case strings.Contains(first, "."):
			t.Errorf("engine/sim imports %s; it may import only the standard library and github.com/statorhq/stator/engine", p)
		}
	}
	if !found {
		t.Errorf("go list does not list the engine among the imports %v", imports)
	}
}
