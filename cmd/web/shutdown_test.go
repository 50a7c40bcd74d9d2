package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
)

// TestSIGTERMWithRequestsInFlight: SIGTERM in the middle of a load ends the
// server within a generous deadline, with status 0 (the attack: 16.6 s and
// status 1), no request gets a 500, and every acknowledged event is stored.
func TestSIGTERMWithRequestsInFlight(t *testing.T) {
	db := filepath.Join(t.TempDir(), "term.db")
	srv := startServer(t, db)
	if code, body, err := post(srv.url+"/api/v1/machines", map[string]string{"yaml": counterMachine}); err != nil || code != 201 {
		t.Fatalf("create machine: %d %s %v", code, body, err)
	}
	const entities = 8
	for i := range entities {
		if code, body, err := post(srv.url+"/api/v1/entities", map[string]any{"id": fmt.Sprintf("e%d", i), "machine_name": "counter"}); err != nil || code != 201 {
			t.Fatalf("create entity: %d %s %v", code, body, err)
		}
	}
	var mu sync.Mutex
	acked := map[string]int{}
	count, bad := 0, []string{}
	started := make(chan struct{})
	var once sync.Once
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				id := fmt.Sprintf("e%d", (w+i)%entities)
				code, body, err := post(srv.url+"/api/v1/entities/"+id+"/events", map[string]any{"trigger": "bump"})
				if err != nil {
					return // the server has stopped taking connections
				}
				mu.Lock()
				switch {
				case code == 200:
					acked[id]++
					count++
					if count >= 200 {
						once.Do(func() { close(started) })
					}
				case code != 503: // 503: the server is shutting down, retry elsewhere
					bad = append(bad, fmt.Sprintf("%d %s", code, body))
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("the load did not get going")
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the server ended with %v, want status 0", err)
		}
	case <-time.After(20 * time.Second):
		srv.cmd.Process.Kill()
		t.Fatal("the server did not end within 20 s of SIGTERM")
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Errorf("%d requests failed during the shutdown, first: %s", len(bad), bad[0])
	}

	ctx := context.Background()
	st, err := sqlite.OpenStore(ctx, db, sqlite.Options{}, store.Options{NoScheduler: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, n := range acked {
		e, err := st.GetEntity(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.HistoryLen < n+1 {
			t.Errorf("%s: %d events acknowledged, %d in the history", id, n, e.HistoryLen-1)
		}
	}
}

// startChild runs the server binary (this test binary) and waits until it
// listens, or reports why it ended first.
func startChild(db string) (*child, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATOR_TEST_CHILD=1", "STATOR_TEST_ARGS=--addr 127.0.0.1:0 --db "+db+" --log-format json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	urls := make(chan string, 1)
	lines := make(chan string, 64)
	go func() {
		defer close(urls)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				urls <- line.URL
			} else {
				select {
				case lines <- sc.Text():
				default:
				}
			}
		}
	}()
	select {
	case u, ok := <-urls:
		if ok {
			return &child{cmd: cmd, url: u}, nil
		}
		err := cmd.Wait()
		close(lines)
		var out []string
		for l := range lines {
			out = append(out, l)
		}
		return nil, fmt.Errorf("the server ended before it listened (%v): %v", err, out)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, errors.New("the server did not start within 30 s")
	}
}

// TestProcessesStartTogether: server processes started at the same moment
// on a new database file all start (the attack: 1 in 6 failed with a
// partial migration), several rounds over.
func TestProcessesStartTogether(t *testing.T) {
	const rounds, together = 3, 3
	for round := range rounds {
		db := filepath.Join(t.TempDir(), fmt.Sprintf("together%d.db", round))
		var wg sync.WaitGroup
		children := make([]*child, together)
		errs := make([]error, together)
		for i := range together {
			wg.Add(1)
			go func() {
				defer wg.Done()
				children[i], errs[i] = startChild(db)
			}()
		}
		wg.Wait()
		for i, c := range children {
			if errs[i] != nil {
				t.Errorf("round %d, process %d: %v", round, i, errs[i])
				continue
			}
			if code, body, err := post(c.url+"/api/v1/validate", map[string]string{"yaml": counterMachine}); err != nil || code != 200 {
				t.Errorf("round %d, process %d: %d %s %v", round, i, code, body, err)
			}
			c.cmd.Process.Signal(syscall.SIGTERM)
			if err := c.cmd.Wait(); err != nil {
				t.Errorf("round %d, process %d: ended with %v", round, i, err)
			}
		}
	}
}
