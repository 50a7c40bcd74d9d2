// Package web is Stator's HTTP server: the REST API, the pages and the static
// assets, all on the engine and the store.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// Config is what a server needs.
type Config struct {
	Addr   string // host:port; ":0" or "127.0.0.1:0" picks a free port
	Store  *store.Store
	Logger *slog.Logger
	Clock  engine.Clock // default: the system clock
	// ShutdownTimeout bounds how long Close waits for in-flight requests.
	ShutdownTimeout time.Duration
}

// Server serves Stator over HTTP.
type Server struct {
	cfg  Config
	echo *echo.Echo
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// MaxBodyBytes is the request body limit (SPEC 11).
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
	s := &Server{cfg: cfg}
	s.echo = s.routes()
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
	s.ln = ln
	s.srv = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
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
