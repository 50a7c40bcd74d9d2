package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/postgres"
	"github.com/statorhq/stator/store/postgres/pgtest"
	"github.com/statorhq/stator/store/sqlite"
)

// testStore opens a store on a fresh database: SQLite in the test's folder,
// or, when STATOR_TEST_DB=postgres (`make test` runs this package a second
// time so), a new PostgreSQL database on the test server.
func testStore(t *testing.T, so store.Options) *store.Store {
	t.Helper()
	ctx := context.Background()
	if os.Getenv("STATOR_TEST_DB") == "postgres" {
		pg, err := postgres.Open(ctx, pgtest.NewDatabase(t), postgres.Options{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		return store.New(pg, so)
	}
	st, err := sqlite.OpenStore(ctx, filepath.Join(t.TempDir(), "stator.db"), sqlite.Options{}, so)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
