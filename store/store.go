// Package store is the persistence port of Stator (SPEC 5, 13): the types
// the web layer reads and writes, their errors, and Store, which keeps the
// rules of persistence once for every database: validation of machines
// before they are stored, the event algorithm (load, process outside any
// lock other entities wait on, compare-and-swap write), group commit of
// events, idempotency keys, the timer scheduler and the machine cache.
//
// The SQL lives in adapters beneath it (store/sqlite, store/postgres), each a
// Backend. Every acknowledged event is committed before it is answered.
package store

import (
	"context"
	"crypto/rand"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/statorhq/stator/engine"
)

// Store keeps machines, their revisions, entities with their history and
// timers, and shares in a Backend. It is safe for concurrent use.
type Store struct {
	db     Backend
	clock  engine.Clock
	log    *slog.Logger
	opts   Options
	cache  *machineCache
	ents   *entityCache
	locks  *entityLocks
	events chan *writeReq
	wake   chan struct{} // tells the scheduler a timer was armed
	quit   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
	// Metrics, when set, is told what the store does (SPEC 13 /metrics).
	metrics Metrics
	acct    *accountState
}

// Options configure a store. The zero value is usable.
type Options struct {
	Clock    engine.Clock // default: the system clock
	Logger   *slog.Logger // default: discard
	MaxBatch int          // events per group commit, default 128
	// NoScheduler disables the timer scheduler (for tests that drive timers by hand).
	NoScheduler bool
	// PollInterval is the longest the scheduler sleeps between two looks
	// for due timers (other instances may have armed some); default 1 s.
	PollInterval time.Duration
	// Lease is how long a claimed timer is reserved for this instance
	// before another may fire it; default 5 s (how late a timer claimed by
	// an instance that died fires).
	Lease time.Duration
	// MaxRetries bounds how often an event is recomputed when its entity
	// changed meanwhile (another server, a timer); default 32.
	MaxRetries int
	// Limits are the sizes the store enforces; zero fields take defaults.
	Limits Limits
	// Metrics, when set, is told about events, batches and timers.
	Metrics Metrics
	// Argon2 is the cost of new password hashes; default DefaultArgon2.
	Argon2 Argon2Params
	// CredentialTTL is how long an answer about a session or a token is
	// kept in memory (default 5 s): the longest a token revoked or a user
	// removed on another instance still works here.
	CredentialTTL time.Duration
}

// Limits bound what the store accepts (SPEC 11).
type Limits struct {
	// MaxContextBytes bounds an entity's context as JSON, after a payload
	// merges into it; default 256 KiB.
	MaxContextBytes int
	// MaxShareBytes bounds a share's text plus trace; default 512 KiB + 256 KiB.
	MaxShareBytes int
}

// DefaultLimits are the store's limits of SPEC 11.
func DefaultLimits() Limits {
	return Limits{MaxContextBytes: 256 << 10, MaxShareBytes: 768 << 10}
}

// Metrics receives what the store does. Implementations must be cheap and
// safe for concurrent use.
type Metrics interface {
	EventProcessed(code string, d time.Duration) // code "" for success
	BatchCommitted(size int)
	TimerFired(lag time.Duration)
}

// New starts a store on a backend: the event writer and, unless disabled,
// the timer scheduler. Close stops them and closes the backend.
func New(db Backend, opts Options) *Store {
	if opts.Clock == nil {
		opts.Clock = engine.ClockFunc(time.Now)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 128
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Second
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 32
	}
	if opts.Argon2 == (Argon2Params{}) {
		opts.Argon2 = DefaultArgon2()
	}
	if opts.CredentialTTL <= 0 {
		opts.CredentialTTL = 5 * time.Second
	}
	d := DefaultLimits()
	if opts.Limits.MaxContextBytes <= 0 {
		opts.Limits.MaxContextBytes = d.MaxContextBytes
	}
	if opts.Limits.MaxShareBytes <= 0 {
		opts.Limits.MaxShareBytes = d.MaxShareBytes
	}
	s := &Store{
		db: db, clock: opts.Clock, log: opts.Logger, opts: opts, metrics: opts.Metrics,
		cache:  newMachineCache(512),
		ents:   newEntityCache(16384, 32<<20),
		locks:  newEntityLocks(),
		events: make(chan *writeReq, 4*opts.MaxBatch),
		wake:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		acct:   newAccountState(opts.CredentialTTL),
	}
	s.wg.Add(1)
	go s.writer()
	if !opts.NoScheduler {
		s.wg.Add(1)
		go s.scheduler()
	}
	return s
}

// Close stops the scheduler, lets the writer finish the events already
// queued, and closes the backend.
func (s *Store) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.quit)
		s.wg.Wait()
		err = s.db.Close()
	})
	return err
}

// Dialect names the database behind the store ("sqlite", "postgres").
func (s *Store) Dialect() string { return s.db.Dialect() }

// Ready checks that the database answers and its migrations are applied
// (GET /ready).
func (s *Store) Ready(ctx context.Context) error { return s.db.Ready(ctx) }

// Now is the store clock's time.
func (s *Store) Now() time.Time { return s.clock.Now() }

// PendingTimers counts the timers waiting to fire.
func (s *Store) PendingTimers(ctx context.Context) (int, error) { return s.db.PendingTimers(ctx) }

// newID returns a random identifier of n lowercase base32 characters.
func newID(n int) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// entityLocks serialises the events of one entity within this process, so
// that they do not recompute each other's work; correctness across
// processes comes from the compare-and-swap write, not from these locks.
type entityLocks struct {
	mu sync.Mutex
	m  map[string]*entityLock
}

type entityLock struct {
	mu   sync.Mutex
	refs int
}

func newEntityLocks() *entityLocks { return &entityLocks{m: map[string]*entityLock{}} }

// lock takes id's lock, waiting at most until ctx is done.
func (l *entityLocks) lock(ctx context.Context, id string) (unlock func(), err error) {
	l.mu.Lock()
	el := l.m[id]
	if el == nil {
		el = &entityLock{}
		l.m[id] = el
	}
	el.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		el.refs--
		if el.refs == 0 {
			delete(l.m, id)
		}
		l.mu.Unlock()
	}
	if el.mu.TryLock() {
		return func() { el.mu.Unlock(); release() }, nil
	}
	got := make(chan struct{})
	go func() { el.mu.Lock(); close(got) }()
	select {
	case <-got:
		return func() { el.mu.Unlock(); release() }, nil
	case <-ctx.Done():
		go func() { <-got; el.mu.Unlock(); release() }()
		return nil, ctx.Err()
	}
}

// machineCache holds compiled machines by (machine, revision); revisions are
// immutable, so entries never go stale.
type machineCache struct {
	mu  sync.Mutex
	max int
	m   map[revKey]*engine.Machine
}

type revKey struct {
	id  string
	rev int
}

func newMachineCache(max int) *machineCache {
	return &machineCache{max: max, m: map[revKey]*engine.Machine{}}
}

func (c *machineCache) get(k revKey) (*engine.Machine, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.m[k]
	return m, ok
}

func (c *machineCache) put(k revKey, m *engine.Machine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for old := range c.m { // evict an arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[k] = m
}

func sortStoredTimers(ts []Timer) {
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].DueAt.Before(ts[j].DueAt) })
}

// entityCache keeps the entities this instance wrote last, so that the
// next event on one of them need not read it back. It is never trusted: an
// event computed on a copy another instance made stale loses its
// compare-and-swap and reads the entity again. Entries are values never
// changed in place. It is bounded in entries and in context bytes.
type entityCache struct {
	mu       sync.Mutex
	m        map[string]*Entity
	bytes    int
	maxItems int
	maxBytes int
}

// maxCachedContext is the largest context (JSON bytes) the cache keeps.
const maxCachedContext = 8 << 10

func newEntityCache(maxItems, maxBytes int) *entityCache {
	return &entityCache{m: map[string]*Entity{}, maxItems: maxItems, maxBytes: maxBytes}
}

func (c *entityCache) get(id string) (*Entity, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	return e, ok
}

func (c *entityCache) put(e *Entity) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[e.ID]; ok {
		c.bytes -= old.ContextBytes
		delete(c.m, e.ID)
	}
	if e.ContextBytes <= 0 || e.ContextBytes > maxCachedContext {
		return
	}
	for len(c.m) >= c.maxItems || c.bytes+e.ContextBytes > c.maxBytes {
		for k, old := range c.m { // evict an arbitrary entry
			c.bytes -= old.ContextBytes
			delete(c.m, k)
			break
		}
	}
	c.m[e.ID] = e
	c.bytes += e.ContextBytes
}

func (c *entityCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[id]; ok {
		c.bytes -= old.ContextBytes
		delete(c.m, id)
	}
}
