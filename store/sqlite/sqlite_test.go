package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/store/storetest"
)

// opener opens SQLite files in the test's temporary folder, one per name.
func opener(t *testing.T) storetest.Opener {
	var mu sync.Mutex
	dirs := map[testing.TB]string{}
	return func(tb testing.TB, name string) store.Backend {
		tb.Helper()
		mu.Lock()
		dir, ok := dirs[tb]
		if !ok {
			dir = tb.TempDir()
			dirs[tb] = dir
		}
		mu.Unlock()
		db, err := sqlite.Open(context.Background(), filepath.Join(dir, name+".db"), sqlite.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		return db
	}
}

// TestContract runs the store's whole contract on SQLite files.
func TestContract(t *testing.T) {
	storetest.Run(t, opener(t))
}
