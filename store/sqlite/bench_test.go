package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
)

// BenchmarkSendEvent measures durable events through the store from 32
// concurrent senders over 1,000 entities (no HTTP).
func BenchmarkSendEvent(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.OpenStore(ctx, filepath.Join(b.TempDir(), "b.db"), sqlite.Options{}, store.Options{NoScheduler: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m, err := s.CreateMachine(ctx, "meta: {machine_name: ctr, strict_mode: false}\nstates:\n  - {name: idle, type: initial}\n  - {name: busy}\ntransitions:\n  - {trigger: go, source: idle, dest: busy, guards: [{expr: 'n >= 0'}]}\n  - {trigger: go, source: busy, dest: idle}\n")
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	for i := 0; i < n; i++ {
		if _, err := s.CreateEntity(ctx, store.NewEntity{ID: fmt.Sprintf("e%d", i), MachineID: m.ID}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(16) // 32 senders on 2 CPUs
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, err := s.SendEvent(ctx, fmt.Sprintf("e%d", (i*7919)%n), store.Event{Trigger: "go", Payload: engine.Context{"n": float64(i)}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
