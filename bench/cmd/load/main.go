// Command load measures Stator's entity events over HTTP with SQLite
// persistence (SPEC 10): it starts the built server on a free port with a
// fresh database in a temporary directory, creates a machine and a number of
// entities through the REST API, then drives POST /api/v1/entities/{id}/events
// from concurrent clients for a fixed time. It reports events/s, latency
// percentiles, errors (anything but 200) and the server's peak memory
// (VmHWM), stops the server with SIGTERM, and checks the database: SQLite's
// integrity_check, and that every acknowledged event is in the history.
//
//	go build -o bin/stator ./cmd/web && cd bench && go run ./cmd/load --bin ../bin/stator
//
// With --token the database gets an admin and a token first (through the
// binary's own `users add` and `tokens create`), and every request carries
// Authorization: Bearer <token>: the cost of authentication is the
// difference with a run without it.
//
// Every request goes to the loopback address of a server this command started.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/postgres"
	"github.com/statorhq/stator/store/sqlite"
)

// loadMachine is a two-state loop with a guarded transition: every event
// succeeds, moves the entity, merges the payload into its context, evaluates
// an expression guard and writes a history row.
const loadMachine = `
meta: {machine_name: load_order, version: "1", strict_mode: true}
guards:
  is_full_fill: "fill_qty >= order_qty"
states:
  - {name: open, type: initial, on_enter: [notify_ui_open]}
  - {name: filled}
transitions:
  - {trigger: execution_report, source: open, dest: filled, guards: [is_full_fill], actions: [update_positions]}
  - {trigger: execution_report, source: filled, dest: open, actions: [reopen]}
`

type config struct {
	bin        string
	clients    int
	entities   int
	duration   time.Duration
	warmup     time.Duration
	serverArgs string
	keep       bool
	postgres   string // a PostgreSQL server URL: the load runs on a fresh database there
	instances  int    // servers on the one database; clients are spread over them
	token      bool   // send a bearer token with every request (accounts on)
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "../bin/stator", "the server binary (go build -o bin/stator ./cmd/web)")
	flag.IntVar(&c.clients, "clients", 32, "concurrent clients, each with one request in flight")
	flag.IntVar(&c.entities, "entities", 1000, "entities the events are spread over")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "how long to measure")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "load before the measurement starts (not counted)")
	flag.StringVar(&c.serverArgs, "server-args", "", "extra server flags, e.g. \"--log-level warn\"")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (database and server log)")
	flag.StringVar(&c.postgres, "postgres", "", "run on PostgreSQL: the URL of a server (a fresh database is created there and dropped after), e.g. $STATOR_TEST_POSTGRES")
	flag.IntVar(&c.instances, "instances", 1, "server processes on the one database (PostgreSQL only for more than 1); clients are spread over them")
	flag.BoolVar(&c.token, "token", false, "turn accounts on (a user and a token made with the binary's subcommands) and send Authorization: Bearer <token> with every request")
	flag.Parse()
	if c.instances > 1 && c.postgres == "" {
		fmt.Fprintln(os.Stderr, "load: several --instances need --postgres (SQLite is one process's database)")
		os.Exit(2)
	}
	if c.clients < 1 || c.entities < 1 || c.duration <= 0 || c.instances < 1 {
		fmt.Fprintln(os.Stderr, "load: --clients, --entities and --duration must be positive")
		os.Exit(2)
	}
	ok, err := run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// server is the child process under test.
type server struct {
	cmd  *exec.Cmd
	url  string
	log  string
	done chan error
}

func run(c config) (ok bool, err error) {
	dir, err := os.MkdirTemp("", "stator-load-")
	if err != nil {
		return false, err
	}
	if c.keep {
		fmt.Println("temporary directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	db := filepath.Join(dir, "stator.db")
	if c.postgres != "" {
		url, drop, err := freshDatabase(c.postgres)
		if err != nil {
			return false, err
		}
		defer drop()
		db = url
	}
	fmt.Printf("machine: %d CPUs, GOMAXPROCS %d, %s; load average %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), cpuModel(), loadAvg())
	auth := ""
	if c.token {
		token, err := makeToken(c.bin, db)
		if err != nil {
			return false, err
		}
		auth = "Bearer " + token
		fmt.Println("accounts: on; every request carries a bearer token (made with `users add` and `tokens create`)")
	}

	var srvs []*server
	defer func() {
		for _, srv := range srvs {
			if srv.cmd.ProcessState == nil { // still running after a failure
				_ = srv.cmd.Process.Kill()
				<-srv.done
			}
		}
	}()
	for i := 0; i < c.instances; i++ {
		srv, err := startServer(c, dir, db, i)
		if err != nil {
			return false, err
		}
		srvs = append(srvs, srv)
		fmt.Printf("server %d: %s (pid %d), database %s\n", i+1, srv.url, srv.cmd.Process.Pid, redact(db))
	}

	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: c.clients * 2, MaxIdleConnsPerHost: c.clients * 2, IdleConnTimeout: time.Minute},
		Timeout:   30 * time.Second,
	}
	ids, err := setup(client, srvs[0].url, c.entities, auth)
	if err != nil {
		return false, err
	}

	st := drive(client, srvs, ids, c, auth)
	var hwm, rss int64
	for _, srv := range srvs {
		h, r := procMemory(srv.cmd.Process.Pid)
		hwm, rss = max(hwm, h), rss+r
	}

	// graceful stop
	stopStart := time.Now()
	var exitErr error
	for _, srv := range srvs {
		if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			return false, fmt.Errorf("SIGTERM: %w", err)
		}
	}
	for _, srv := range srvs {
		select {
		case err := <-srv.done:
			srv.done <- err
			if err != nil && exitErr == nil {
				exitErr = err
			}
		case <-time.After(30 * time.Second):
			return false, errors.New("a server did not stop within 30s of SIGTERM")
		}
	}
	stopTook := time.Since(stopStart)

	integrity, inHistory, checkErr := checkDatabase(db, ids)

	// report
	lat := st.latencies
	slices.Sort(lat)
	rate := float64(st.ok) / st.measured.Seconds()
	fmt.Println()
	fmt.Println("== results ==")
	fmt.Printf("clients %d, entities %d, measured %s after %s of warm-up\n", c.clients, c.entities, st.measured.Round(time.Millisecond), c.warmup)
	fmt.Printf("events/s      %.0f (%d answered 200 in the measured window)\n", rate, st.ok)
	fmt.Printf("latency       p50 %s  p95 %s  p99 %s  max %s\n", pct(lat, 50), pct(lat, 95), pct(lat, 99), pct(lat, 100))
	fmt.Printf("errors        %d (non-200: %d, transport: %d) over the whole run\n", st.non200+st.transport, st.non200, st.transport)
	if st.firstErr != "" {
		fmt.Printf("first error   %s\n", st.firstErr)
	}
	if st.ok > 0 {
		fmt.Printf("CPU           server %.2f cores (%.0f µs per event), load generator %.2f cores, of %d\n",
			st.serverCPU.Seconds()/st.measured.Seconds(), float64(st.serverCPU.Microseconds())/float64(st.ok),
			st.selfCPU.Seconds()/st.measured.Seconds(), runtime.NumCPU())
	}
	fmt.Printf("server memory peak RSS (VmHWM, largest instance) %s, RSS at the end (all instances) %s\n", mib(hwm), mib(rss))
	fmt.Printf("shutdown      SIGTERM -> exit in %s, exit status: %s\n", stopTook.Round(time.Millisecond), exitStatus(exitErr))
	if checkErr != nil {
		fmt.Printf("database      check failed: %v\n", checkErr)
	} else {
		fmt.Printf("database      integrity check: %s; acknowledged events in the history: %d of %d\n", integrity, inHistory, st.acked)
	}
	fmt.Printf("load average  %s\n", loadAvg())

	ok = st.non200 == 0 && st.transport == 0 && exitErr == nil && checkErr == nil && (integrity == "ok" || postgres.IsURL(db)) && inHistory >= st.acked
	if !ok {
		fmt.Println("FAILED: errors, an unclean shutdown, or a database check did not pass (server log:", srvs[0].log+")")
		if !c.keep {
			tail(srvs[0].log, 20)
		}
	}
	return ok, nil
}

// freeAddr finds a free loopback port (the server binds it a moment later).
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startServer runs the binary on a free port and waits for it to answer
// /health. Its log goes to a file in dir.
func startServer(c config, dir, db string, i int) (*server, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("server-%d.log", i+1))
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	args := append([]string{"--addr", addr, "--db", db, "--log-format", "text"}, strings.Fields(c.serverArgs)...)
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", c.bin, err)
	}
	logFile.Close()
	s := &server{cmd: cmd, url: "http://" + addr, log: logPath, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-s.done:
			s.done <- err
			tail(logPath, 20)
			return nil, fmt.Errorf("the server exited: %v", err)
		default:
		}
		res, err := http.Get(s.url + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return nil, fmt.Errorf("the server did not answer /health within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// makeToken adds an admin to the database and makes a token for it with the
// server binary's own commands, and returns the token.
func makeToken(bin, db string) (string, error) {
	add := exec.Command(bin, "users", "add", "load", "--role", "admin", "--db", db)
	add.Stdin = strings.NewReader("load-test-password\n")
	if out, err := add.CombinedOutput(); err != nil {
		return "", fmt.Errorf("users add: %v: %s", err, out)
	}
	create := exec.Command(bin, "tokens", "create", "load", "--label", "load", "--db", db)
	var stderr bytes.Buffer
	create.Stderr = &stderr
	out, err := create.Output()
	if err != nil {
		return "", fmt.Errorf("tokens create: %v: %s", err, stderr.Bytes())
	}
	return strings.TrimSpace(string(out)), nil
}

// post sends a JSON body with the Authorization header auth ("" for none).
func post(client *http.Client, url, auth string, body []byte) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return client.Do(req)
}

// setup creates the machine and the entities through the API.
func setup(client *http.Client, base string, n int, auth string) ([]string, error) {
	t0 := time.Now()
	var m struct {
		ID string `json:"id"`
	}
	if err := postJSON(client, base+"/api/v1/machines", auth, map[string]string{"yaml": loadMachine}, http.StatusCreated, &m); err != nil {
		return nil, fmt.Errorf("create the machine: %w", err)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("order-%05d", i)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				body := map[string]any{"id": ids[i], "machine_id": m.ID, "context": map[string]any{"order_qty": 100}}
				if err := postJSON(client, base+"/api/v1/entities", auth, body, http.StatusCreated, nil); err != nil {
					errs <- fmt.Errorf("create entity %s: %w", ids[i], err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	fmt.Printf("setup: machine %s and %d entities created in %s\n", m.ID, n, time.Since(t0).Round(time.Millisecond))
	return ids, nil
}

func postJSON(client *http.Client, url, auth string, body any, want int, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	res, err := post(client, url, auth, b)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s: %d %s", url, res.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// stats is what the clients measured.
type stats struct {
	ok        int64           // 200 answers in the measured window
	acked     int64           // 200 answers over the whole run (warm-up included)
	non200    int64           // over the whole run
	transport int64           // over the whole run
	firstErr  string          //
	measured  time.Duration   //
	latencies []time.Duration // of the 200 answers in the measured window
	serverCPU time.Duration   // the server's CPU time (user+system) in the measured window
	selfCPU   time.Duration   // this load generator's CPU time in the measured window
}

// drive runs the clients for warm-up + duration, printing progress every second.
func drive(client *http.Client, srvs []*server, ids []string, c config, auth string) *stats {
	var (
		measuring atomic.Bool
		stop      atomic.Bool
		done      atomic.Int64 // 200 answers, for the progress line
		bad       atomic.Int64
		mu        sync.Mutex
		st        = &stats{}
		wg        sync.WaitGroup
	)
	url := func(w int, id string) string { return srvs[w%len(srvs)].url + "/api/v1/entities/" + id + "/events" }
	for w := 0; w < c.clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			lat := make([]time.Duration, 0, 1<<16)
			var ok, acked, non200, transport int64
			var firstErr string
			buf := make([]byte, 0, 128)
			for k := 0; !stop.Load(); k++ {
				id := ids[rng.IntN(len(ids))]
				buf = append(buf[:0], `{"trigger":"execution_report","payload":{"fill_qty":`...)
				buf = strconv.AppendInt(buf, int64(100+k%7), 10)
				buf = append(buf, `}}`...)
				t0 := time.Now()
				res, err := post(client, url(w, id), auth, buf)
				if err != nil {
					transport++
					bad.Add(1)
					if firstErr == "" {
						firstErr = err.Error()
					}
					continue
				}
				var snippet []byte
				if res.StatusCode != http.StatusOK {
					snippet, _ = io.ReadAll(io.LimitReader(res.Body, 300))
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				d := time.Since(t0)
				if res.StatusCode != http.StatusOK {
					non200++
					bad.Add(1)
					if firstErr == "" {
						firstErr = fmt.Sprintf("%d %s", res.StatusCode, bytes.TrimSpace(snippet))
					}
					continue
				}
				acked++
				done.Add(1)
				if measuring.Load() {
					ok++
					lat = append(lat, d)
				}
			}
			mu.Lock()
			st.ok += ok
			st.acked += acked
			st.non200 += non200
			st.transport += transport
			if st.firstErr == "" {
				st.firstErr = firstErr
			}
			st.latencies = append(st.latencies, lat...)
			mu.Unlock()
		}(w)
	}

	fmt.Printf("driving %d clients over %d entities: %s warm-up, then %s measured\n", c.clients, len(ids), c.warmup, c.duration)
	start := time.Now()
	var measureStart time.Time
	var cpu0, self0 time.Duration
	begin := func() {
		measuring.Store(true)
		measureStart = time.Now()
		cpu0, self0 = serversCPU(srvs), selfCPU()
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	warm := time.NewTimer(c.warmup)
	defer warm.Stop()
	var end <-chan time.Time
	if c.warmup <= 0 {
		warm.Stop()
		begin()
		end = time.After(c.duration)
	}
	last := int64(0)
loop:
	for {
		select {
		case <-warm.C:
			begin()
			end = time.After(c.duration)
		case <-end:
			measuring.Store(false)
			st.measured = time.Since(measureStart)
			st.serverCPU, st.selfCPU = serversCPU(srvs)-cpu0, selfCPU()-self0
			break loop
		case <-tick.C:
			n := done.Load()
			var rss int64
			for _, srv := range srvs {
				_, r := procMemory(srv.cmd.Process.Pid)
				rss += r
			}
			phase := "warm-up"
			if measuring.Load() {
				phase = "measure"
			}
			fmt.Printf("  %5.1fs %-7s %6d events/s  total %8d  errors %d  server RSS %s  load %s\n",
				time.Since(start).Seconds(), phase, n-last, n, bad.Load(), mib(rss), loadAvg())
			last = n
		}
	}
	stop.Store(true)
	wg.Wait()
	return st
}

// checkDatabase opens the stopped servers' database with the store package:
// SQLite's integrity_check, and the number of events in the entities'
// histories (each entity's history_len counts its creation too).
func checkDatabase(db string, ids []string) (integrity string, events int64, err error) {
	ctx := context.Background()
	var backend store.Backend
	if postgres.IsURL(db) {
		pg, err := postgres.Open(ctx, db, postgres.Options{MaxConns: 2})
		if err != nil {
			return "", 0, err
		}
		integrity, backend = "n/a (PostgreSQL)", pg
	} else {
		sdb, err := sqlite.Open(ctx, db, sqlite.Options{})
		if err != nil {
			return "", 0, err
		}
		integrity = "ok"
		if err := sdb.CheckIntegrity(ctx); err != nil {
			integrity = err.Error()
		}
		backend = sdb
	}
	s := store.New(backend, store.Options{NoScheduler: true})
	defer s.Close()
	for _, id := range ids {
		e, err := s.GetEntity(ctx, id)
		if err != nil {
			return integrity, events, err
		}
		events += int64(e.HistoryLen - 1)
	}
	return integrity, events, nil
}

// procMemory reads VmHWM (peak resident set) and VmRSS of a process, in bytes.
func procMemory(pid int) (hwm, rss int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			hwm = v * 1024
		case "VmRSS:":
			rss = v * 1024
		}
	}
	return hwm, rss
}

// procCPU is a process's user+system CPU time from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// the command name may hold spaces: the fields start after the last ')'
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(sorted []time.Duration, p float64) string {
	if len(sorted) == 0 {
		return "-"
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i].Round(10 * time.Microsecond).String()
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func exitStatus(err error) string {
	if err == nil {
		return "0 (clean)"
	}
	return err.Error()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func tail(path string, n int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	fmt.Fprintln(os.Stderr, "server log (last lines):")
	for _, l := range lines {
		fmt.Fprintln(os.Stderr, "  "+l)
	}
}

// serversCPU is the CPU time of all the servers.
func serversCPU(srvs []*server) time.Duration {
	var d time.Duration
	for _, srv := range srvs {
		d += procCPU(srv.cmd.Process.Pid)
	}
	return d
}

// freshDatabase creates an empty database on a PostgreSQL server and
// returns its URL and a function that drops it.
func freshDatabase(server string) (string, func(), error) {
	admin, err := sql.Open("pgx", server)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("stator_load_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create the load database: %w", err)
	}
	u, err := neturl.Parse(server)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		_, _ = admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		admin.Close()
	}, nil
}

// redact hides a password in a database URL.
func redact(db string) string {
	u, err := neturl.Parse(db)
	if err != nil || u.User == nil {
		return db
	}
	if _, ok := u.User.Password(); ok {
		u.User = neturl.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}
