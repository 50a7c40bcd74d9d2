package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/statorhq/stator/store"
)

// stdio is where a command reads and writes.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// runCommand runs the server, or one of the account commands (SPEC 9):
//
//	users add NAME --role admin|editor|viewer [--password-file FILE]
//	users list
//	users remove NAME
//	users role NAME --role admin|editor|viewer
//	users password NAME [--password-file FILE]
//	tokens create NAME --label LABEL
//	tokens list
//	tokens revoke ID
//
// each with --db (or STATOR_DB). A password is read from standard input
// (asked for, unseen, on a terminal) or from --password-file; never from
// a flag, which other users of the machine could see.
func runCommand(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) > 0 {
		switch args[0] {
		case "users":
			return usersCommand(ctx, args[1:], getenv, std)
		case "tokens":
			return tokensCommand(ctx, args[1:], getenv, std)
		}
	}
	return run(ctx, args, getenv, std.err)
}

const accountsUsage = `usage:
  stator users add NAME --role admin|editor|viewer [--password-file FILE]   (the password from standard input otherwise)
  stator users list
  stator users remove NAME
  stator users role NAME --role admin|editor|viewer
  stator users password NAME [--password-file FILE]
  stator tokens create NAME --label LABEL     (prints the token once)
  stator tokens list
  stator tokens revoke ID
each takes --db (default stator.db, or STATOR_DB)`

// errUsage is a command line that names no known command.
var errUsage = errors.New(accountsUsage)

// accountFlags are the flags of the account commands.
type accountFlags struct {
	fs           *flag.FlagSet
	db           *string
	role         *string
	label        *string
	passwordFile *string
}

func newAccountFlags(name string, getenv func(string) string, std stdio) *accountFlags {
	fs := flag.NewFlagSet("stator "+name, flag.ContinueOnError)
	fs.SetOutput(std.err)
	fs.Usage = func() { fmt.Fprintln(std.err, accountsUsage) }
	return &accountFlags{
		fs:           fs,
		db:           fs.String("db", envOr(getenv, "STATOR_DB", "stator.db"), "SQLite database file, or a postgres:// URL (env STATOR_DB)"),
		role:         fs.String("role", "", "admin, editor or viewer"),
		label:        fs.String("label", "", "what the token is for; the history records it as the author of the token's writes"),
		passwordFile: fs.String("password-file", "", "read the password from this file (its first line) instead of standard input"),
	}
}

// parse reads flags and arguments in any order ("add NAME --role x" as
// well as "add --role x NAME") and checks the number of arguments.
func (f *accountFlags) parse(args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, err
		}
		if f.fs.NArg() == 0 {
			break
		}
		pos = append(pos, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
	if len(pos) != want {
		return nil, fmt.Errorf("%w\n(%d arguments given, %d expected)", errUsage, len(pos), want)
	}
	return pos, nil
}

// open opens the store for one command: no timer scheduler (the server
// fires timers, not this command).
func (f *accountFlags) open(ctx context.Context) (*store.Store, error) {
	st, _, err := openStore(ctx, *f.db, store.Options{NoScheduler: true})
	return st, err
}

func usersCommand(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) == 0 {
		return errUsage
	}
	f := newAccountFlags("users "+args[0], getenv, std)
	want := map[string]int{"add": 1, "list": 0, "remove": 1, "role": 1, "password": 1}
	n, ok := want[args[0]]
	if !ok {
		return fmt.Errorf("%w\n(no command users %q)", errUsage, args[0])
	}
	pos, err := f.parse(args[1:], n)
	if err != nil {
		return err
	}
	var role store.Role
	if args[0] == "add" || args[0] == "role" {
		if role, err = store.ParseRole(*f.role); err != nil {
			return err
		}
	}
	var password string
	if args[0] == "add" || args[0] == "password" {
		if password, err = readPassword(*f.passwordFile, std); err != nil {
			return err
		}
	}
	st, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "add":
		u, err := st.AddUser(ctx, pos[0], role, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "added %s (%s)\n", u.Name, u.Role)
	case "list":
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(std.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "NAME\tROLE\tCREATED")
		for _, u := range users {
			fmt.Fprintf(w, "%s\t%s\t%s\n", u.Name, u.Role, u.CreatedAt.Format(time.RFC3339))
		}
		return w.Flush()
	case "remove":
		if err := st.RemoveUser(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(std.err, "removed %s; their sessions and tokens ended\n", pos[0])
	case "role":
		u, err := st.SetRole(ctx, pos[0], role)
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "%s is now %s\n", u.Name, u.Role)
	case "password":
		if err := st.ResetPassword(ctx, pos[0], password); err != nil {
			return err
		}
		fmt.Fprintf(std.err, "the password of %s was reset; their sessions ended\n", pos[0])
	}
	return nil
}

func tokensCommand(ctx context.Context, args []string, getenv func(string) string, std stdio) error {
	if len(args) == 0 {
		return errUsage
	}
	f := newAccountFlags("tokens "+args[0], getenv, std)
	want := map[string]int{"create": 1, "list": 0, "revoke": 1}
	n, ok := want[args[0]]
	if !ok {
		return fmt.Errorf("%w\n(no command tokens %q)", errUsage, args[0])
	}
	pos, err := f.parse(args[1:], n)
	if err != nil {
		return err
	}
	if args[0] == "create" && *f.label == "" {
		return errors.New("tokens create needs --label: what the token is for (\"ci\", \"grafana\"); the history records it as the author of the token's writes")
	}
	st, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "create":
		t, secret, err := st.CreateToken(ctx, pos[0], *f.label)
		if err != nil {
			return err
		}
		fmt.Fprintln(std.out, secret)
		fmt.Fprintf(std.err, "token %q (id %s) of %s: copy it now, it is not shown again; send it as Authorization: Bearer <token>\n", t.Label, t.ID, t.UserName)
	case "list":
		tokens, err := st.Tokens(ctx, "")
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(std.out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tUSER\tLABEL\tCREATED\tLAST USED")
		for _, t := range tokens {
			used := "never"
			if !t.LastUsedAt.IsZero() {
				used = t.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.UserName, t.Label, t.CreatedAt.Format(time.RFC3339), used)
		}
		return w.Flush()
	case "revoke":
		t, err := st.RevokeToken(ctx, pos[0], "")
		if err != nil {
			return err
		}
		fmt.Fprintf(std.err, "revoked token %q of %s\n", t.Label, t.UserName)
	}
	return nil
}

// readPassword reads a password from a file's first line, or from standard
// input: asked for twice without echo on a terminal, else its first line.
func readPassword(file string, std stdio) (string, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		return firstLine(f, "--password-file "+file)
	}
	if term, ok := std.in.(*os.File); ok && isTerminal(term) {
		fmt.Fprint(std.err, "Password: ")
		pw, err := readHidden(term)
		fmt.Fprintln(std.err)
		if err != nil {
			return "", err
		}
		fmt.Fprint(std.err, "Again: ")
		again, err := readHidden(term)
		fmt.Fprintln(std.err)
		if err != nil {
			return "", err
		}
		if pw != again {
			return "", errors.New("the two passwords differ")
		}
		return pw, nil
	}
	return firstLine(std.in, "standard input")
}

// firstLine is the first line of r without its line break; a password
// longer than the limit is refused by the store, so reading stops past it.
func firstLine(r io.Reader, what string) (string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, store.MaxPasswordBytes+2), store.MaxPasswordBytes+2).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from %s: %w", what, err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", fmt.Errorf("no password on %s: give it there (e.g. printf '%%s\\n' \"$PASSWORD\" | stator users add ...) or with --password-file", what)
	}
	return line, nil
}
