// Package web is Stator's HTTP server: the REST API, the pages and the static
// assets, all on the engine and the store, with the middleware every
// response goes through (security headers, cross-site and Host checks,
// limits) and the one error handler.
package web

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/web/handlers/api"
	"github.com/statorhq/stator/web/handlers/pages"
)

// Store is what the server needs of the store: the union of what its
// handlers need, plus readiness. *store.Store is one, on any database.
type Store interface {
	api.MachineStore
	api.EntityStore
	api.ShareStore
	api.RevisionStore
	pages.MachineStore
	pages.ShareStore
	pages.EntityStore
	pages.RevisionStore
	pages.AccountStore
	AccountStore
	CountMachines(ctx context.Context) (int, error)
	Ready(ctx context.Context) error
	PendingTimers(ctx context.Context) (int, error)
}

// Config is what a server needs.
type Config struct {
	Addr   string // host:port; ":0" or "127.0.0.1:0" picks a free port
	Store  Store
	Logger *slog.Logger
	Clock  engine.Clock // default: the system clock
	// ShutdownTimeout bounds how long Close waits for in-flight requests.
	ShutdownTimeout time.Duration
	// PublicURL is the address users reach the server at (--public-url),
	// e.g. https://stator.example.com; links are built from it and its host
	// is allowed. Empty: links use the request's own (checked) host.
	PublicURL string
	// AllowedHosts are more Host header values to answer to (besides the
	// public URL's host, the bind address, localhost, 127.0.0.1 and [::1]).
	AllowedHosts []string
	// TrustProxy makes the server believe X-Forwarded-For and
	// X-Forwarded-Proto (only behind a proxy that sets them).
	TrustProxy bool
	// ShareRate is how many shares one client address may create per
	// minute (default 30, SPEC 11).
	ShareRate int
	// Metrics are served at /metrics; give the same to the store
	// (store.Options.Metrics) so that it reports events. Default: new ones.
	Metrics *Metrics
	// DBStats reports the database pool's use for /metrics (optional).
	DBStats func() sql.DBStats
	// InsecureNoAuth lets the server listen on an address other machines
	// reach with no user in the database (--insecure-no-auth), with a
	// warning in the log; without it, it refuses to start (SPEC 12.2).
	InsecureNoAuth bool
}

// Server serves Stator over HTTP.
type Server struct {
	cfg    Config
	public *url.URL
	echo   *echo.Echo
	srv    *http.Server
	ln     net.Listener
	done   chan error
	hosts  *hostList
	shares *rateLimiter
	access *access
}

// MaxBodyBytes is the request body limit (SPEC 11): exactly 1 MiB.
const MaxBodyBytes = 1 << 20

//go:embed examples/*.yaml
var examplesFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds the server and seeds the example machines into an empty store.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("web: a store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = engine.ClockFunc(time.Now)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if cfg.ShareRate <= 0 {
		cfg.ShareRate = 30
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	cfg.Metrics.watchPool(cfg.DBStats)
	cfg.Metrics.watchTimers(cfg.Store.PendingTimers)
	s := &Server{cfg: cfg, shares: newRateLimiter(cfg.ShareRate, time.Minute, cfg.Clock)}
	if cfg.PublicURL != "" {
		u, err := url.Parse(strings.TrimRight(cfg.PublicURL, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return nil, fmt.Errorf("--public-url must be like https://stator.example.com (scheme and host, no path), not %q", cfg.PublicURL)
		}
		s.public = u
	}
	s.hosts = newHostList(cfg.Addr, s.public, cfg.AllowedHosts)
	s.echo = s.routes()
	s.access = newAccess(s.echo)
	if err := seedExamples(ctx, cfg.Store, cfg.Logger); err != nil {
		return nil, fmt.Errorf("seed examples: %w", err)
	}
	return s, nil
}

// Handler is the server's HTTP handler (for tests with httptest).
func (s *Server) Handler() http.Handler { return s.echo }

// Open starts listening and serving in the background.
func (s *Server) Open() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
	if err := s.checkAccounts(context.Background(), ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	s.ln = ln
	s.hosts.addListener(ln.Addr())
	if !isLoopback(ln.Addr()) && s.public == nil {
		s.cfg.Logger.Warn("listening on a non-loopback address without --public-url: only requests whose Host is this address or localhost are answered; set --public-url to the address users reach",
			"addr", ln.Addr().String())
	}
	s.srv = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan error, 1)
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.cfg.Logger.Info("listening", "url", s.URL())
	return nil
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// URL is the server's base URL, e.g. http://127.0.0.1:8080.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Close stops accepting connections and waits for in-flight requests (up to
// the shutdown timeout). The store is closed by whoever opened it.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// requests still running past the timeout are cut off
		err = s.srv.Close()
	}
	if serveErr := <-s.done; serveErr != nil && err == nil {
		err = serveErr
	}
	return err
}

// Run serves until ctx is cancelled (SIGINT/SIGTERM in the binary), then
// shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Open(); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-s.done:
		s.done <- err
	}
	s.cfg.Logger.Info("shutting down")
	return s.Close()
}

// baseURL is where links point: the public URL, else the request's own
// scheme and (already checked) host.
func (s *Server) baseURL(c echo.Context) string {
	if s.public != nil {
		return s.public.Scheme + "://" + s.public.Host
	}
	return s.scheme(c.Request()) + "://" + c.Request().Host
}
