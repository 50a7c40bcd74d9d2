package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirections keeps the architecture of STYLE.md true for every
// package of the module: the engine imports nothing of ours, the store port
// imports only the engine, adapters sit beneath the port, the web layer
// takes the port and never an adapter, and only this command wires an
// adapter in. Test files are not counted (a test may open a real database).
func TestImportDirections(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	const mod = "github.com/statorhq/stator"
	out, err := exec.Command(goTool, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, mod+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	// allowed lists, for each package (longest prefix wins), the packages
	// of this module and the outside modules it may import.
	type rule struct {
		ours    []string
		outside []string
	}
	rules := map[string]rule{
		"engine":            {ours: []string{"engine"}, outside: []string{"gopkg.in/yaml.v3", "github.com/expr-lang/expr"}},
		"engine/sim":        {ours: []string{"engine"}},
		"engine/yamledit":   {ours: []string{"engine"}, outside: []string{"gopkg.in/yaml.v3"}},
		"engine/enginetest": {ours: []string{"engine"}, outside: []string{"gopkg.in/yaml.v3"}},
		"migrations":        {},
		"store":             {ours: []string{"engine"}, outside: []string{"golang.org/x/crypto"}},
		"store/storetest":   {ours: []string{"engine", "store"}},
		"store/internal":    {ours: []string{"engine", "store"}, outside: []string{"github.com/jmoiron/sqlx"}},
		"store/sqlite":      {ours: []string{"engine", "store", "migrations"}, outside: []string{"github.com/jmoiron/sqlx", "github.com/mattn/go-sqlite3", "github.com/pressly/goose/v3"}},
		"store/postgres":    {ours: []string{"engine", "store", "migrations"}, outside: []string{"github.com/jmoiron/sqlx", "github.com/jackc/pgx/v5", "github.com/pressly/goose/v3"}},
		"web/templates":     {ours: []string{"engine"}, outside: []string{"github.com/a-h/templ"}},
		"web/handlers":      {ours: []string{"engine", "store", "web/templates", "web/handlers"}, outside: []string{"github.com/labstack/echo/v4", "github.com/a-h/templ"}},
		"web":               {ours: []string{"engine", "store", "web/templates", "web/handlers"}, outside: []string{"github.com/labstack/echo/v4", "github.com/a-h/templ", "github.com/prometheus/client_golang", "golang.org/x/crypto"}},
		"cmd/web":           {ours: []string{"engine", "store", "web", "migrations"}},
		"e2e":               {ours: []string{"engine", "store", "web"}},
	}
	ruleFor := func(pkg string) (rule, bool) {
		best, found := "", false
		for k := range rules {
			if (pkg == k || strings.HasPrefix(pkg, k+"/")) && len(k) >= len(best) {
				best, found = k, true
			}
		}
		return rules[best], found
	}
	under := func(p string, list []string) bool {
		for _, x := range list {
			if p == x || strings.HasPrefix(p, x+"/") {
				return true
			}
		}
		return false
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(f[0], mod), "/")
		r, ok := ruleFor(pkg)
		if !ok {
			t.Errorf("package %s has no import rule here; add one", f[0])
			continue
		}
		checked++
		for _, imp := range f[1:] {
			switch {
			case strings.HasPrefix(imp, mod+"/"):
				if ours := strings.TrimPrefix(imp, mod+"/"); !under(ours, r.ours) && !strings.HasPrefix(ours, pkg+"/") {
					t.Errorf("%s imports %s: not allowed by STYLE.md's layout", pkg, ours)
				}
			case !strings.Contains(strings.SplitN(imp, "/", 2)[0], "."):
				// the standard library
			case pkg == "cmd/web":
			default:
				if !under(imp, r.outside) {
					t.Errorf("%s imports %s: not among its allowed dependencies", pkg, imp)
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages; go list answered:\n%s", checked, out)
	}
}
