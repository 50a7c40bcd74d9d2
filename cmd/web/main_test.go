package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/sqlite"
)

// TestMain lets the test binary act as the server in a child process, so that
// the tests can kill it like a real crash.
func TestMain(m *testing.M) {
	if os.Getenv("STATOR_TEST_CHILD") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		args := strings.Fields(os.Getenv("STATOR_TEST_ARGS"))
		if argv := os.Getenv("STATOR_TEST_ARGV"); argv != "" { // arguments with spaces, as JSON
			if err := json.Unmarshal([]byte(argv), &args); err != nil {
				fmt.Fprintln(os.Stderr, "child: STATOR_TEST_ARGV:", err)
				os.Exit(2)
			}
		}
		err := runCommand(ctx, args, os.Getenv, stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
		stop()
		if err != nil {
			os.Exit(report(os.Stderr, err))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type child struct {
	cmd *exec.Cmd
	url string
}

// startServer runs the server binary (this test binary) on a free port.
func startServer(t *testing.T, db string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATOR_TEST_CHILD=1", "STATOR_TEST_ARGS=--addr 127.0.0.1:0 --db "+db+" --log-format json")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg string `json:"msg"`
				URL string `json:"url"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				urls <- line.URL
			}
		}
	}()
	select {
	case u := <-urls:
		c := &child{cmd: cmd, url: u}
		t.Cleanup(func() { c.cmd.Process.Kill(); c.cmd.Wait() })
		return c
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the server did not start within 30s")
	}
	return nil
}

func post(url string, body any) (int, []byte, error) {
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

const counterMachine = `
meta: {machine_name: counter, version: "1", strict_mode: false}
states:
  - {name: idle, type: initial}
transitions:
  - {trigger: bump, source: idle, dest: idle, actions: [count]}
`

// TestCrashKeepsAcknowledgedEvents kills the server with SIGKILL in the middle
// of a load and checks that every event that got a 200 is in the history and
// that the database is consistent.
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	db := filepath.Join(t.TempDir(), "crash.db")
	srv := startServer(t, db)
	if code, body, err := post(srv.url+"/api/v1/machines", map[string]string{"yaml": counterMachine}); err != nil || code != 201 {
		t.Fatalf("create machine: %d %s %v", code, body, err)
	}
	const entities = 20
	for i := 0; i < entities; i++ {
		if code, body, err := post(srv.url+"/api/v1/entities", map[string]any{"id": fmt.Sprintf("e%d", i), "machine_name": "counter"}); err != nil || code != 201 {
			t.Fatalf("create entity: %d %s %v", code, body, err)
		}
	}
	var mu sync.Mutex
	acked := map[string][]float64{} // entity -> the n of every acknowledged event
	count := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("e%d", (w+i)%entities)
				n := float64(w*1_000_000 + i)
				code, _, err := post(srv.url+"/api/v1/entities/"+id+"/events", map[string]any{"trigger": "bump", "payload": map[string]any{"n": n}})
				if err != nil {
					return // the server is gone
				}
				if code == 200 {
					mu.Lock()
					acked[id] = append(acked[id], n)
					count++
					mu.Unlock()
				}
			}
		}(w)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		c := count
		mu.Unlock()
		if c >= 1500 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.cmd.Wait()
	close(stop)
	wg.Wait()
	if count < 100 {
		t.Fatalf("only %d events were acknowledged before the kill; the load did not run", count)
	}

	ctx := context.Background()
	sdb, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		t.Fatalf("reopen after the crash: %v", err)
	}
	if err := sdb.CheckIntegrity(ctx); err != nil {
		t.Fatal(err)
	}
	st := store.New(sdb, store.Options{NoScheduler: true})
	defer st.Close()
	lost := 0
	for id, ns := range acked {
		p, err := st.History(ctx, id, store.HistoryQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		h := p.Events
		if p.Next != 0 {
			t.Fatalf("%s has more than 1000 history rows; page through them", id)
		}
		have := map[float64]bool{}
		for _, ev := range h {
			if n, ok := ev.Payload["n"].(float64); ok {
				have[n] = true
			}
		}
		for _, n := range ns {
			if !have[n] {
				lost++
			}
		}
		e, err := st.GetEntity(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if e.HistoryLen != len(h) || e.Version != len(h) {
			t.Errorf("%s: history_len %d, version %d, %d history rows: inconsistent", id, e.HistoryLen, e.Version, len(h))
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d acknowledged events are missing after the crash", lost, count)
	}
	t.Logf("%d acknowledged events, all in the history after SIGKILL", count)
}

// TestRestartFiresTimerDueWhileDown: a timer that comes due while the server
// is stopped fires when it starts again.
func TestRestartFiresTimerDueWhileDown(t *testing.T) {
	db := filepath.Join(t.TempDir(), "restart.db")
	srv := startServer(t, db)
	text := "meta: {machine_name: blink}\nstates:\n  - {name: on, type: initial, timeout: {seconds: 0.3, destination: off}}\n  - {name: off, type: terminal}\ntransitions: []\n"
	if code, body, _ := post(srv.url+"/api/v1/machines", map[string]string{"yaml": text}); code != 201 {
		t.Fatalf("create machine: %d %s", code, body)
	}
	if code, body, _ := post(srv.url+"/api/v1/entities", map[string]any{"id": "b1", "machine_name": "blink"}); code != 201 {
		t.Fatalf("create entity: %d %s", code, body)
	}
	// stop gracefully before the timer is due
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if err := srv.cmd.Wait(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	st, err := sqlite.OpenStore(context.Background(), db, sqlite.Options{}, store.Options{NoScheduler: true})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := st.GetEntity(context.Background(), "b1")
	st.Close()
	if e.State != "on" {
		t.Fatalf("the timer fired before the stop (state %q); the test cannot tell", e.State)
	}
	time.Sleep(time.Until(e.Timers[0].DueAt.Add(100 * time.Millisecond)))
	srv = startServer(t, db)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(srv.url + "/api/v1/entities/b1")
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ State string }
		json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if got.State == "off" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %q: the timer did not fire after the restart", got.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
