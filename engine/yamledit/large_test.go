package yamledit

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
)

// bigMachine writes a machine of n states, a comment on every line: a
// chain s0000 → s0001 → ... on `next`, every tenth state also `reset` to
// hub, and one transition from a list of many sources. pad adds that many
// bytes of description to meta.
func bigMachine(n, pad int) string {
	var b strings.Builder
	b.WriteString("meta:  # generated\n  machine_name: big  # its name\n")
	if pad > 0 {
		fmt.Fprintf(&b, "  description: %q  # padding\n", strings.Repeat("x", pad))
	}
	b.WriteString("states:  # every state\n  - {name: s0000, type: initial}  # start\n")
	chain := n - 2
	for i := 1; i < chain; i++ {
		fmt.Fprintf(&b, "  - {name: s%04d}  # %d\n", i, i)
	}
	b.WriteString("  - {name: hub}  # the hub\n  - {name: done, type: terminal}  # the end\n")
	b.WriteString("transitions:  # every transition\n")
	for i := 0; i+1 < chain; i++ {
		fmt.Fprintf(&b, "  - {trigger: next, source: s%04d, dest: s%04d}  # %d\n", i, i+1, i)
		if i%10 == 0 {
			fmt.Fprintf(&b, "  - {trigger: reset, source: s%04d, dest: hub}  # r%d\n", i, i)
		}
	}
	b.WriteString("  - trigger: finish  # many sources\n    source:  # a block list\n")
	for i := 5; i < chain; i += 50 {
		fmt.Fprintf(&b, "      - s%04d  # %d\n", i, i)
	}
	b.WriteString("    dest: done  # the end\n  - {trigger: back, source: hub, dest: s0000}  # back\n")
	return b.String()
}

// TestApplyLarge edits a machine at the limit of 5,000 states: every edit
// is a correct result or a clear refusal, never a broken text.
func TestApplyLarge(t *testing.T) {
	text := bigMachine(5000, 0)
	if len(text) > engine.DefaultLimits().MaxTextBytes {
		t.Fatalf("the generated text is %d bytes, over the limit", len(text))
	}
	if _, _, err := engine.Load([]byte(text)); err != nil {
		t.Fatal(err)
	}
	mid := 5000 // of 5,499 transitions: 4,997 next, 500 reset, finish, back
	tests := []struct {
		name  string
		op    Op
		check func(t *testing.T, def *engine.Definition)
		code  string // a refusal: the problem code it lists
	}{
		{name: "rename a state used by 500 transitions", op: Op{Kind: RenameState, From: "hub", To: "center"}, check: func(t *testing.T, def *engine.Definition) {
			n := 0
			for _, tr := range def.Transitions {
				if tr.Dest == "center" || contains(tr.Source, "center") {
					n++
				}
			}
			if n != 501 {
				t.Errorf("%d transitions name center, want 501", n)
			}
		}},
		{name: "delete a state in a source list", op: Op{Kind: DeleteState, Name: "s2505"}, check: func(t *testing.T, def *engine.Definition) {
			if len(def.States) != 4999 {
				t.Errorf("%d states", len(def.States))
			}
			for _, tr := range def.Transitions {
				if tr.Dest == "s2505" || contains(tr.Source, "s2505") {
					t.Fatalf("a transition still names s2505: %+v", tr)
				}
			}
		}},
		{name: "add a transition", op: Op{Kind: AddTransition, Trigger: "jump", Source: "s0001", Dest: "done"}, check: func(t *testing.T, def *engine.Definition) {
			if tr := def.Transitions[len(def.Transitions)-1]; tr.Trigger != "jump" {
				t.Errorf("last transition %+v", tr)
			}
		}},
		{name: "move a state into another", op: Op{Kind: SetParent, Name: "s0003", Parent: "hub"}, check: func(t *testing.T, def *engine.Definition) {
			if def.States[3].Parent != "hub" {
				t.Errorf("parent %q", def.States[3].Parent)
			}
		}},
		{name: "update a transition", op: Op{Kind: UpdateTransition, Index: &mid, Actions: []Action{{Name: "log"}}}, check: func(t *testing.T, def *engine.Definition) {
			if a := def.Transitions[mid].Actions; len(a) != 1 || a[0].Name != "log" {
				t.Errorf("actions %+v", a)
			}
		}},
		{name: "a 5,001st state is over the limit", op: Op{Kind: AddState, Name: "extra"}, code: engine.CodeLimitExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply(text, tc.op)
			if tc.code != "" {
				var ie *InvalidError
				if !errors.As(err, &ie) || got != text || !hasCode(ie.Problems, tc.code) {
					t.Fatalf("got %v, want a refusal listing %s with the text unchanged", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := engine.Load([]byte(got))
			if err != nil {
				t.Fatal(err)
			}
			if before, after := strings.Count(text, "#"), strings.Count(got, "#"); tc.op.Kind != DeleteState && before != after {
				t.Errorf("%d comments before, %d after", before, after)
			}
			tc.check(t, m.Definition())
		})
	}
}

// TestApplyTextLimit: an edit that would take a text past 512 KiB is
// refused with the limit problem, and the text is unchanged.
func TestApplyTextLimit(t *testing.T) {
	limit := engine.DefaultLimits().MaxTextBytes
	text := bigMachine(100, 0)
	text = bigMachine(100, limit-len(text)-60)
	if len(text) > limit || len(text) < limit-100 {
		t.Fatalf("the text is %d bytes; want just under %d", len(text), limit)
	}
	got, err := Apply(text, Op{Kind: AddTransition, Trigger: "a_long_trigger_name", Source: "s0001", Dest: "s0002"})
	var ie *InvalidError
	if !errors.As(err, &ie) || !hasCode(ie.Problems, engine.CodeLimitExceeded) || got != text {
		t.Fatalf("got %v; want the limit problem and the text unchanged", err)
	}
	if got, err := Apply(text, Op{Kind: RenameState, From: "s0001", To: "t1"}); err != nil || len(got) >= len(text) {
		t.Fatalf("a shorter text was refused: %v", err)
	}
}

func hasCode(ps engine.Problems, code string) bool {
	for _, p := range ps {
		if p.Code == code {
			return true
		}
	}
	return false
}

// BenchmarkApply measures each op on a generated 1,000-state machine (the
// editor's round trip includes it: parse, edit, load the result, compare).
func BenchmarkApply(b *testing.B) {
	text := bigMachine(1000, 0)
	mid := 500
	for _, op := range []Op{
		{Kind: AddState, Name: "extra", Parent: "hub"},
		{Kind: AddTransition, Trigger: "jump", Source: "s0001", Dest: "done"},
		{Kind: RenameState, From: "hub", To: "center"},
		{Kind: RenameTrigger, From: "next", To: "advance"},
		{Kind: DeleteState, Name: "s0505"},
		{Kind: SetInitial, Name: "s0001"},
		{Kind: SetParent, Name: "s0003", Parent: "hub"},
		{Kind: UpdateTransition, Index: &mid, Guards: []Guard{{Expr: "x > 1"}}, Actions: []Action{{Name: "log"}}},
	} {
		if _, err := Apply(text, op); err != nil {
			b.Fatalf("%s: %v", op.Kind, err)
		}
		b.Run(string(op.Kind), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Apply(text, op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApplySize measures one rename (about 50 references) by machine
// size, up to the 5,000-state limit.
func BenchmarkApplySize(b *testing.B) {
	for _, n := range []int{200, 1000, 5000} {
		text := bigMachine(n, 0)
		op := Op{Kind: RenameState, From: "s0050", To: "renamed"}
		b.Run(fmt.Sprintf("states=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Apply(text, op); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
