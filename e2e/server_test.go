package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web"
)

// startServer starts the real Stator server in-process on a free port of
// 127.0.0.1 with a fresh SQLite database in t.TempDir() (the example machines
// are seeded into it) and returns its base URL. The server and the store are
// closed when the test ends. opts adjusts the store's options, e.g. to turn
// the timer scheduler off so that entity timers do not fire in real time.
func startServer(t testing.TB, opts ...func(*store.Options)) string {
	t.Helper()
	ctx := context.Background()
	var so store.Options
	for _, o := range opts {
		o(&so)
	}
	st, err := sqlite.OpenStore(ctx, filepath.Join(t.TempDir(), "stator.db"), sqlite.Options{}, so)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	srv, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", Store: st})
	if err != nil {
		st.Close()
		t.Fatalf("build the server: %v", err)
	}
	if err := srv.Open(); err != nil {
		st.Close()
		t.Fatalf("start the server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close the server: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("close the store: %v", err)
		}
	})
	return srv.URL()
}

// noScheduler turns the store's timer scheduler off: entities stay where the
// test put them however long the test takes.
func noScheduler(o *store.Options) { o.NoScheduler = true }
