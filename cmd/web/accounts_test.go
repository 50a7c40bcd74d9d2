package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// stator runs the binary (this test binary as the child, see TestMain) with
// args and stdin, and returns what it wrote and its exit code.
func stator(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	argv, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATOR_TEST_CHILD=1", "STATOR_TEST_ARGV="+string(argv))
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// TestAccountCommands drives users and tokens through the binary: names
// with odd characters, passwords from standard input or a file (never a
// flag), the last admin, a token printed once.
func TestAccountCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "team.db")
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("from a file ✓\r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string // a regexp stdout must match ("" for empty)
		wantErr  string // a substring of stderr
	}{
		{"the first user must be an admin", "password one\n", []string{"users", "add", "eve", "--role", "editor", "--db", db}, 1, "", "the first user must be an admin"},
		{"an admin, password on stdin", "correct horse\n", []string{"users", "add", "Zoë Ångström", "--role", "admin", "--db", db}, 0, "", "added Zoë Ångström (admin)"},
		{"flags before the name", "another password\n", []string{"users", "add", "--db", db, "--role", "viewer", "grace hopper"}, 0, "", "added grace hopper (viewer)"},
		{"password from a file", "", []string{"users", "add", "bob", "--role", "editor", "--password-file", pwFile, "--db", db}, 0, "", "added bob"},
		{"no password flag", "", []string{"users", "add", "mallory", "--role", "viewer", "--password", "secret123", "--db", db}, 1, "", "flag provided but not defined: -password"},
		{"a short password", "short\n", []string{"users", "add", "carol", "--role", "viewer", "--db", db}, 1, "", "needs at least 8"},
		{"no password at all", "", []string{"users", "add", "carol", "--role", "viewer", "--db", db}, 1, "", "no password on standard input"},
		{"an unknown role", "password one\n", []string{"users", "add", "carol", "--role", "owner", "--db", db}, 1, "", "the role must be admin, editor or viewer"},
		{"a name taken in another case", "password one\n", []string{"users", "add", "BOB", "--role", "viewer", "--db", db}, 1, "", "already exists"},
		{"a control character", "password one\n", []string{"users", "add", "bob\tby", "--role", "viewer", "--db", db}, 1, "", "control character"},
		{"list", "", []string{"users", "list", "--db", db}, 0, `(?s)NAME +ROLE +CREATED\nbob +editor .*grace hopper +viewer .*Zoë Ångström +admin `, ""},
		{"the last admin is not removed", "", []string{"users", "remove", "zoë ångström", "--db", db}, 1, "", "last admin"},
		{"nor demoted", "", []string{"users", "role", "Zoë Ångström", "--role", "viewer", "--db", db}, 1, "", "last admin"},
		{"promote", "", []string{"users", "role", "bob", "--role", "admin", "--db", db}, 0, "", "bob is now admin"},
		{"remove", "", []string{"users", "remove", "Zoë Ångström", "--db", db}, 0, "", "removed"},
		{"remove nobody", "", []string{"users", "remove", "nobody", "--db", db}, 1, "", `there is no user "nobody"`},
		{"a token needs a label", "", []string{"tokens", "create", "bob", "--db", db}, 1, "", "needs --label"},
		{"a token", "", []string{"tokens", "create", "bob", "--label", "ci runner", "--db", db}, 0, `^stator_[A-Za-z0-9_-]{43}\n$`, "copy it now"},
		{"a token of nobody", "", []string{"tokens", "create", "nobody", "--label", "x", "--db", db}, 1, "", "no user"},
		{"tokens list", "", []string{"tokens", "list", "--db", db}, 0, `(?s)ID +USER +LABEL +CREATED +LAST USED\n[a-z0-9]{10} +bob +ci runner +\S+ +never\n$`, ""},
		{"no such command", "", []string{"users", "frobnicate"}, 2, "", "usage:"},
		{"no arguments", "", []string{"tokens", "revoke", "--db", db}, 2, "", "usage:"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			out, errOut, code := stator(t, st.stdin, st.args...)
			if code != st.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, st.wantCode, out, errOut)
			}
			if (st.wantOut == "" && out != "") || (st.wantOut != "" && !regexp.MustCompile(st.wantOut).MatchString(out)) {
				t.Fatalf("stdout %q, want %q", out, st.wantOut)
			}
			if !strings.Contains(errOut, st.wantErr) {
				t.Fatalf("stderr %q does not say %q", errOut, st.wantErr)
			}
		})
	}
	// the password file's first line is bob's password; the token was printed once
	out, _, _ := stator(t, "", "tokens", "list", "--db", db)
	id := strings.Fields(strings.Split(out, "\n")[1])[0]
	if _, errOut, code := stator(t, "", "tokens", "revoke", id, "--db", db); code != 0 || !strings.Contains(errOut, `revoked token "ci runner" of bob`) {
		t.Fatalf("revoke: %d %s", code, errOut)
	}
	if _, errOut, code := stator(t, "", "tokens", "revoke", id, "--db", db); code != 1 || !strings.Contains(errOut, "there is no token") {
		t.Fatalf("revoke twice: %d %s", code, errOut)
	}
}

// serve starts the server binary with args and returns its URL, or the
// error it exited with.
func serve(t *testing.T, args ...string) (url string, exitErr string) {
	t.Helper()
	argv, _ := json.Marshal(append([]string{"--log-format", "json"}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STATOR_TEST_CHILD=1", "STATOR_TEST_ARGV="+string(argv))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log []string
	timeout := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				return "", strings.Join(log, "\n")
			}
			log = append(log, l)
			var line struct{ Msg, URL string }
			if json.Unmarshal([]byte(l), &line) == nil && line.Msg == "listening" {
				return line.URL, ""
			}
		case <-timeout:
			t.Fatalf("the server neither started nor stopped within 30 s:\n%s", strings.Join(log, "\n"))
		}
	}
}

func getWith(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestServerAndAccounts: on an address other machines reach, the server
// refuses a database without users and names the command that adds one
// (--insecure-no-auth starts it anyway); a user added by the command line
// while a local server runs turns accounts on within a second, and a
// token made by the command line is accepted.
func TestServerAndAccounts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "team.db")
	if _, exitErr := serve(t, "--addr", "0.0.0.0:0", "--db", db); !strings.Contains(exitErr, "stator users add NAME --role admin --db "+db) {
		t.Fatalf("the server on 0.0.0.0 without users: %q", exitErr)
	}
	if u, exitErr := serve(t, "--addr", "0.0.0.0:0", "--db", db, "--insecure-no-auth"); u == "" {
		t.Fatalf("--insecure-no-auth: %s", exitErr)
	}
	base, exitErr := serve(t, "--addr", "127.0.0.1:0", "--db", db)
	if base == "" {
		t.Fatal(exitErr)
	}
	if code := getWith(t, base+"/api/v1/machines", ""); code != 200 {
		t.Fatalf("no users, loopback: %d, want 200 (open)", code)
	}
	if _, errOut, code := stator(t, "correct horse\n", "users", "add", "ada", "--role", "admin", "--db", db); code != 0 {
		t.Fatal(errOut)
	}
	token, errOut, code := stator(t, "", "tokens", "create", "ada", "--label", "deploy", "--db", db)
	if code != 0 {
		t.Fatal(errOut)
	}
	token = strings.TrimSpace(token)
	deadline := time.Now().Add(10 * time.Second)
	for getWith(t, base+"/api/v1/machines", "") != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("a user was added, but the running server still answers without credentials")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code := getWith(t, base+"/api/v1/machines", token); code != 200 {
		t.Fatalf("with the token from the command line: %d", code)
	}
	if u, exitErr := serve(t, "--addr", "0.0.0.0:0", "--db", db); u == "" {
		t.Fatalf("0.0.0.0 with a user: %s", exitErr)
	}
}
