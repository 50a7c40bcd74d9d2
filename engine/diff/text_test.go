package diff

import (
	"math/rand"
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"one line changed", "a\nb\nc\n", "a\nB\nc\n", "--- from\n+++ to\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"added at the end", "a\n", "a\nb\n", "--- from\n+++ to\n@@ -1,1 +1,2 @@\n a\n+b\n"},
		{"from nothing", "", "a\n", "--- from\n+++ to\n@@ -0,0 +1,1 @@\n+a\n"},
		{"no newline at the end", "a", "b", "--- from\n+++ to\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text("from", "to", tc.a, tc.b); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestEditsRebuild: applying the edit script to the first text gives the
// second, on random texts (and the script is no longer than both together).
func TestEditsRebuild(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	words := []string{"a\n", "b\n", "c\n", "d\n"}
	gen := func() []string {
		out := make([]string, rng.Intn(40))
		for i := range out {
			out[i] = words[rng.Intn(len(words))]
		}
		return out
	}
	for n := 0; n < 500; n++ {
		x, y := gen(), gen()
		var got []string
		for _, o := range edits(x, y) {
			switch o.kind {
			case ' ':
				if x[o.i] != y[o.j] {
					t.Fatalf("kept line %d/%d differs", o.i, o.j)
				}
				got = append(got, x[o.i])
			case '+':
				got = append(got, y[o.j])
			}
		}
		if strings.Join(got, "") != strings.Join(y, "") {
			t.Fatalf("rebuilt %q, want %q (from %q)", got, y, x)
		}
	}
}

// TestHugeDiffIsBounded: two unrelated long texts give a full replacement
// without running away.
func TestHugeDiffIsBounded(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 20000; i++ {
		a.WriteString("x" + strings.Repeat("a", i%7) + "\n")
		b.WriteString("y" + strings.Repeat("b", i%5) + "\n")
	}
	out := Text("a", "b", a.String(), b.String())
	if strings.Count(out, "\n-") != 20000 || strings.Count(out, "\n+") != 20001 { // +1: the "+++" header
		t.Fatalf("want 20000 deletions and insertions")
	}
}
