package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMakeRun checks the command `make run` runs (make -n prints it without
// running it): the server's flags come from ADDR= and DB= only when they are
// set, so that STATOR_ADDR and STATOR_DB, which the server reads when no flag
// is given, work as the README says.
func TestMakeRun(t *testing.T) {
	t.Parallel()
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Fatalf("make is needed to check the run target: %v", err)
	}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{name: "defaults", want: "go run ./cmd/web"},
		{name: "STATOR_ variables", env: []string{"STATOR_ADDR=127.0.0.1:9123", "STATOR_DB=other.db"}, want: "go run ./cmd/web"},
		{name: "ADDR and DB in the environment", env: []string{"ADDR=127.0.0.1:9123", "DB=other.db"}, want: "go run ./cmd/web --addr 127.0.0.1:9123 --db other.db"},
		{name: "ADDR on the command line", args: []string{"ADDR=:9000"}, want: "go run ./cmd/web --addr :9000"},
		{name: "DB on the command line", args: []string{"DB=x.db"}, want: "go run ./cmd/web --db x.db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(makeBin, append([]string{"-n", "--no-print-directory", "run", "GO=go"}, tc.args...)...)
			cmd.Dir = ".."
			cmd.Env = append(cleanEnv(), tc.env...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make -n run: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != tc.want {
				t.Errorf("make run runs\n  %s\nwant\n  %s", got, tc.want)
			}
		})
	}
}

// cleanEnv is this process's environment without the variables the run
// target reads, so that a developer's own settings do not change the answer.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "ADDR", "DB", "GO", "STATOR_ADDR", "STATOR_DB", "MAKEFLAGS", "MAKELEVEL", "MFLAGS":
			continue
		}
		out = append(out, kv)
	}
	return out
}
