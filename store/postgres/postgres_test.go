package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/postgres"
	"github.com/statorhq/stator/store/postgres/pgtest"
	"github.com/statorhq/stator/store/storetest"
)

// opener creates a fresh database per test and name on the test server
// (pgtest), and opens it again for the same name.
func opener(t *testing.T) storetest.Opener {
	pgtest.ServerURL(t)
	var mu sync.Mutex
	urls := map[testing.TB]map[string]string{}
	return func(tb testing.TB, name string) store.Backend {
		tb.Helper()
		mu.Lock()
		if urls[tb] == nil {
			urls[tb] = map[string]string{}
		}
		u, ok := urls[tb][name]
		mu.Unlock()
		if !ok {
			u = pgtest.NewDatabase(tb)
			mu.Lock()
			urls[tb][name] = u
			mu.Unlock()
		}
		pg, err := postgres.Open(context.Background(), u, postgres.Options{MaxConns: 8})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { pg.Close() })
		return pg
	}
}

// TestContract runs the store's whole contract on PostgreSQL.
func TestContract(t *testing.T) {
	storetest.Run(t, opener(t))
}
