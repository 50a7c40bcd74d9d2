package engine_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImports keeps the engine pure (STYLE.md: "engine imports nothing of
// ours"; stdlib + yaml.v3 + expr only): every package it depends on, tests
// excluded, must be one of those.
func TestImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := func(p string) bool {
		return p == "github.com/statorhq/stator/engine" ||
			p == "gopkg.in/yaml.v3" ||
			p == "github.com/expr-lang/expr" || strings.HasPrefix(p, "github.com/expr-lang/expr/")
	}
	var seen []string
	for _, p := range strings.Fields(string(out)) {
		seen = append(seen, p)
		if !allowed(p) {
			t.Errorf("engine depends on %s; it may import only the standard library, gopkg.in/yaml.v3 and github.com/expr-lang/expr", p)
		}
	}
	for _, must := range []string{"github.com/statorhq/stator/engine", "gopkg.in/yaml.v3", "github.com/expr-lang/expr"} {
		found := false
		for _, p := range seen {
			found = found || p == must
		}
		if !found {
			t.Errorf("go list -deps does not list %s; got %v", must, seen)
		}
	}
}
