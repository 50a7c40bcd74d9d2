package migrations

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	_ "github.com/mattn/go-sqlite3"
	"github.com/pressly/goose/v3"

	"github.com/statorhq/stator/store/postgres/pgtest"
)

// upTo is the migrations of a dialect up to version max: what an older
// binary embeds.
func upTo(t *testing.T, fsys fs.FS, max string) fs.FS {
	t.Helper()
	old := fstest.MapFS{}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() <= max {
			b, err := fs.ReadFile(fsys, e.Name())
			if err != nil {
				t.Fatal(err)
			}
			old[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	return old
}

// TestOlderBinaryOpensDatabaseWithUsers: a database migrated by this binary
// (accounts, with a user) is opened by a binary that knows migrations up to
// 0002 only: its migrations apply without error, it finds nothing pending,
// and the accounts stay as they were.
func TestOlderBinaryOpensDatabaseWithUsers(t *testing.T) {
	ctx := context.Background()
	dialects := []struct {
		name    string
		dialect goose.Dialect
		fsys    fs.FS
		open    func(t *testing.T) *sql.DB
		insert  string
	}{
		{"sqlite", goose.DialectSQLite3, SQLite(), func(t *testing.T) *sql.DB {
			db, err := sql.Open("sqlite3", "file:"+filepath.Join(t.TempDir(), "s.db")+"?_foreign_keys=on")
			if err != nil {
				t.Fatal(err)
			}
			return db
		}, `INSERT INTO users (id, name, name_key, role, password_hash, created_at, updated_at) VALUES ('u1', 'Ada', 'ada', 'admin', 'h', 1, 1)`},
		{"postgres", goose.DialectPostgres, Postgres(), func(t *testing.T) *sql.DB {
			db, err := sql.Open("pgx", pgtest.NewDatabase(t))
			if err != nil {
				t.Fatal(err)
			}
			return db
		}, `INSERT INTO users (id, name, name_key, role, password_hash, created_at, updated_at) VALUES ('u1', 'Ada', 'ada', 'admin', 'h', 1, 1)`},
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			db := d.open(t)
			defer db.Close()
			now, err := goose.NewProvider(d.dialect, db, d.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := now.Up(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, d.insert); err != nil {
				t.Fatal(err)
			}
			older, err := goose.NewProvider(d.dialect, db, upTo(t, d.fsys, "0002_port.sql"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := older.Up(ctx)
			if err != nil || len(res) != 0 {
				t.Fatalf("the older binary's migrations: %v, applied %v", err, res)
			}
			if pending, err := older.HasPending(ctx); err != nil || pending {
				t.Fatalf("the older binary finds pending migrations: %v %v", pending, err)
			}
			var name string
			if err := db.QueryRowContext(ctx, `SELECT name FROM users WHERE id = 'u1'`).Scan(&name); err != nil || name != "Ada" {
				t.Fatalf("the user after the older binary: %q %v", name, err)
			}
		})
	}
}

// TestAccountsMigrationOnlyAdds: every statement of 0003 creates a table or
// an index; none changes what older binaries use, in any dialect.
func TestAccountsMigrationOnlyAdds(t *testing.T) {
	comment := regexp.MustCompile(`--[^\n]*`)
	for _, fsys := range []fs.FS{SQLite(), Postgres()} {
		b, err := fs.ReadFile(fsys, "0003_accounts.sql")
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		n := 0
		for _, st := range strings.Split(comment.ReplaceAllString(up, ""), ";") {
			st = strings.Join(strings.Fields(st), " ")
			if st == "" {
				continue
			}
			n++
			if !strings.HasPrefix(st, "CREATE TABLE ") && !strings.HasPrefix(st, "CREATE INDEX ") {
				t.Errorf("0003 changes what exists: %q", st)
			}
		}
		if n < 4 {
			t.Fatalf("0003 has %d statements", n)
		}
	}
}
