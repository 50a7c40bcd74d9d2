package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"

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

// BenchmarkMigrate10k moves 10,000 entities from revision 1 to revision 2
// (a renamed state, timers re-armed) on a SQLite file: entities/s and the
// Go heap in use afterwards.
func BenchmarkMigrate10k(b *testing.B) {
	ctx := context.Background()
	const n = 10000
	v1 := "meta: {machine_name: lamp}\nstates:\n  - {name: off, type: initial}\n  - {name: on, timeout: {seconds: 60, destination: off}}\ntransitions:\n  - {trigger: toggle, source: off, dest: on}\n  - {trigger: toggle, source: on, dest: off}\n"
	v2 := "meta: {machine_name: lamp}\nstates:\n  - {name: off, type: initial}\n  - {name: lit, timeout: {seconds: 30, destination: off}}\ntransitions:\n  - {trigger: toggle, source: off, dest: lit}\n  - {trigger: toggle, source: lit, dest: off}\n"
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := sqlite.OpenStore(ctx, filepath.Join(b.TempDir(), fmt.Sprint("m", i, ".db")), sqlite.Options{}, store.Options{NoScheduler: true})
		if err != nil {
			b.Fatal(err)
		}
		m, err := s.CreateMachine(ctx, v1)
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < n; j++ {
			if _, err := s.CreateEntity(ctx, store.NewEntity{ID: fmt.Sprintf("e%05d", j), MachineID: m.ID}); err != nil {
				b.Fatal(err)
			}
			if j%2 == 0 {
				if _, err := s.SendEvent(ctx, fmt.Sprintf("e%05d", j), store.Event{Trigger: "toggle"}); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := s.UpdateMachine(ctx, m.ID, v2); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		start := time.Now()
		res, err := s.Migrate(ctx, store.Migration{MachineID: m.ID, ToRevision: 2, StateMap: map[string]string{"on": "lit"}})
		if err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if res.Moved != n {
			b.Fatalf("moved %d of %d", res.Moved, n)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "entities/s")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		s.Close()
		b.StartTimer()
	}
}
