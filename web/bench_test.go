package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web"
)

// BenchmarkEventHTTP is one entity event through the whole server (all the
// middleware, JSON decoding, the store on a real SQLite file with
// synchronous=FULL, the answer), from 32 concurrent senders over 1,000
// entities, without the network: what `make load` measures, per event.
func BenchmarkEventHTTP(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.OpenStore(ctx, filepath.Join(b.TempDir(), "b.db"), sqlite.Options{}, store.Options{NoScheduler: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv, err := web.New(ctx, web.Config{Addr: "127.0.0.1:0", Store: st})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	m, err := st.CreateMachine(ctx, `
meta: {machine_name: load_order, version: "1", strict_mode: true}
guards:
  is_full_fill: "fill_qty >= order_qty"
states:
  - {name: open, type: initial, on_enter: [notify_ui_open]}
  - {name: filled}
transitions:
  - {trigger: execution_report, source: open, dest: filled, guards: [is_full_fill], actions: [update_positions]}
  - {trigger: execution_report, source: filled, dest: open, actions: [reopen]}
`)
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	for i := 0; i < n; i++ {
		if _, err := st.CreateEntity(ctx, store.NewEntity{ID: fmt.Sprintf("order-%05d", i), MachineID: m.ID}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		var body []byte
		for pb.Next() {
			i++
			body = append(body[:0], `{"trigger":"execution_report","payload":{"fill_qty":`...)
			body = strconv.AppendInt(body, int64(100+i%7), 10)
			body = append(body, `,"order_qty":100}}`...)
			req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/api/v1/entities/order-%05d/events", (i*7919)%n), bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Host = "127.0.0.1"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
}
