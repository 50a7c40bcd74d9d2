// Command web serves Stator: the web app, the REST API and the entity store.
//
//	web [--addr 127.0.0.1:8080] [--db stator.db | postgres://...] [--public-url URL] [--trust-proxy]
//	    [--insecure-no-auth] [--log-format text|json] [--log-level info]
//	web users add|list|remove|role|password ...   (accounts; see runCommand)
//	web tokens create|list|revoke ...
//
// STATOR_ADDR and STATOR_DB set the address and the database when the flags
// are not given. SIGINT and SIGTERM shut it down gracefully.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/statorhq/stator/store"
	"github.com/statorhq/stator/store/postgres"
	"github.com/statorhq/stator/store/sqlite"
	"github.com/statorhq/stator/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runCommand(ctx, os.Args[1:], os.Getenv, stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}); err != nil {
		os.Exit(report(os.Stderr, err))
	}
}

// report writes why the command failed and returns its exit code: 2 for a
// command line to correct (the usage is shown), 1 otherwise.
func report(w io.Writer, err error) int {
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 2
	case errors.Is(err, errUsage):
		fmt.Fprintln(w, err)
		return 2
	}
	fmt.Fprintln(w, "stator:", err)
	return 1
}

func run(ctx context.Context, args []string, getenv func(string) string, logOut io.Writer) error {
	fs := flag.NewFlagSet("stator", flag.ContinueOnError)
	fs.SetOutput(logOut)
	addr := fs.String("addr", envOr(getenv, "STATOR_ADDR", "127.0.0.1:8080"), "address to listen on (env STATOR_ADDR)")
	dbPath := fs.String("db", envOr(getenv, "STATOR_DB", "stator.db"), "SQLite database file, or a postgres:// URL (env STATOR_DB)")
	publicURL := fs.String("public-url", envOr(getenv, "STATOR_PUBLIC_URL", ""), "the address users reach, e.g. https://stator.example.com; links are built from it (env STATOR_PUBLIC_URL)")
	trustProxy := fs.Bool("trust-proxy", envOr(getenv, "STATOR_TRUST_PROXY", "") == "true", "believe X-Forwarded-For and X-Forwarded-Proto from a reverse proxy (env STATOR_TRUST_PROXY=true)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	insecureNoAuth := fs.Bool("insecure-no-auth", envOr(getenv, "STATOR_INSECURE_NO_AUTH", "") == "true",
		"serve an address other machines reach even with no user in the database: anyone may change everything (env STATOR_INSECURE_NO_AUTH=true)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(logOut, hopts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(logOut, hopts))
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", *logFormat)
	}

	metrics := web.NewMetrics()
	st, dbStats, err := openStore(ctx, *dbPath, store.Options{Logger: logger, Metrics: metrics})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("close store", "err", err)
		}
	}()
	logger.Info("database ready", "dialect", st.Dialect(), "db", redactDB(*dbPath))
	srv, err := web.New(ctx, web.Config{Addr: *addr, Store: st, Logger: logger, PublicURL: *publicURL, TrustProxy: *trustProxy,
		Metrics: metrics, DBStats: dbStats, InsecureNoAuth: *insecureNoAuth})
	if err != nil {
		return err
	}
	err = srv.Run(ctx)
	if errors.Is(err, web.ErrNoUsers) {
		return fmt.Errorf("%w\n  the command: stator users add NAME --role admin --db %s", err, redactDB(*dbPath))
	}
	return err
}

// openStore opens the database --db names: a postgres:// URL is PostgreSQL,
// anything else a SQLite file.
func openStore(ctx context.Context, db string, so store.Options) (*store.Store, func() sql.DBStats, error) {
	if postgres.IsURL(db) {
		pg, err := postgres.Open(ctx, db, postgres.Options{})
		if err != nil {
			return nil, nil, err
		}
		return store.New(pg, so), pg.Stats, nil
	}
	lite, err := sqlite.Open(ctx, db, sqlite.Options{})
	if err != nil {
		return nil, nil, err
	}
	return store.New(lite, so), lite.Stats, nil
}

// redactDB hides a password in a database URL for the log.
func redactDB(db string) string {
	u, err := url.Parse(db)
	if err != nil || u.User == nil {
		return db
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
