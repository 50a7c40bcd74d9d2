package migrations

import (
	"io/fs"
	"strings"
	"testing"
)

// TestSameVersions: every dialect has the same migration numbers and names
// (SPEC 13), so that a schema version means the same thing on both.
func TestSameVersions(t *testing.T) {
	names := func(fsys fs.FS) []string {
		entries, err := fs.ReadDir(fsys, ".")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".sql") {
				out = append(out, e.Name())
			}
		}
		return out
	}
	lite, pg := names(SQLite()), names(Postgres())
	if len(lite) == 0 || strings.Join(lite, " ") != strings.Join(pg, " ") {
		t.Fatalf("sqlite has %v, postgres has %v: the same files are needed in both", lite, pg)
	}
}
