package engine

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/expr-lang/expr/vm"
)

// vmCorpus covers every instruction a guard compiles to; evalVM must answer
// each exactly as expr-lang's own VM does.
var vmCorpus = []string{
	// comparisons and logic
	"0 < x < 10", "x == None", "n == nil", "x == x and s == s", "b and c", "b or c", "b && c", "!b", "not b",
	"not x", "true == 1", "'a' < 'b'", "s < t", "s <= t", "s >= t", "s < x", "s > 1", "items < 1", "nothing == nil",
	"x ? 1 : 2", "b ? x : s", "x > 1 ? 'big' : 'small'", "c or nothing == nil",
	// arithmetic
	"s + t == 'abcdef'", "s + 1", "x + f", "x - f * 2", "x / y", "x % y", "f % 2", "x ** 2 > 10", "x ^ 2", "2 ** 0.5",
	"-x < 0", "-s", "-f", "1 / 0", "f / 0", "y / y", "x * f", "1.5 + 2", "+x",
	// membership and strings
	"x in items", "x not in items", "'k' in order", "s in order", "x in s", "x in nil", "nil in items",
	"x in [1, 2, 3] and s in ['abc']", "'x' in order.tags", "'a' in {'a': 1}", "x in ints",
	"s matches '^a'", "s matches t", "s matches n", "b matches '^a'", "s contains 'b'", "s startsWith 'a'",
	"s endsWith 'c'", "x contains 'a'", "n contains 'a'", "s contains x",
	// ranges, lists, maps, slices
	"1..5 == [1, 2, 3, 4, 5]", "len(1..x)", "len(x..1)", "x..y", "sum(1..x)", "[x, s, [1, 2]] == [5, 'abc', [1, 2]]",
	"{'a': x, 'b': [s]}.b[0] == s", "{'a': 1}.a", "({'a': x}).a + 1", "items == items", "order == order",
	"[1, 2] == [1, 2.0]", "items[0]", "items[-1]", "items[10]", "items[1:2]", "items[:2]", "items[1:]", "s[1:]",
	"s[0]", "s[x]", "s[1:x]", "items[f]", "ints[1:]", "fs[0] + fs[1]", "[]", "{}", "[[1], [2, [3]]][1][1][0]",
	// members
	"order.qty", "order?.qty", "order?.missing?.x", "nothing?.x", "nothing ?? 5", "n ?? 5", "x ?? 5",
	"order['side']", "order.tags[0]", "order.qty > 10 and order.side == 'buy'", "nested.inner.v", "x.y",
	"st.A + 1", "p + 1", "np == nil", "$env.x", "$env['s']", "len($env) > 3",
	// builtins
	"sum(items)", "sum(fs)", "sum(s)", "sum(x)", "sum([])", "sum(ints)", "min(items)", "max(items, x)", "min(x, f)",
	"min(s, t)", "max(order)", "min(items, [7, [0]])", "max(x, f, 3, 4, 9)", "max(min(x, 1), y)", "abs(-x)",
	"abs(s)", "abs(f - 10)", "len(s)", "len(order)", "len(x)", "len(items) + sum(items) - min(items) * max(items) / abs(x) % 3 > 0",
	// let
	"let z = x * 2; z > y", "let a = s + s; let b = a + a; len(b)", "let z = 1; let z = z + 1; z",
}

// vmEnv holds a value of each kind a context may hold.
func vmEnv() map[string]any {
	five := 5
	return map[string]any{
		"x": 5, "y": 0, "f": 2.5, "s": "abc", "t": "def", "b": true, "c": false, "n": nil,
		"items": []any{1, 2, 3}, "fs": []any{1.5, 2.5}, "ints": []int{3, 1, 2},
		"order":  map[string]any{"qty": 12, "side": "buy", "tags": []any{"x"}},
		"nested": Context{"inner": map[string]any{"v": 1}},
		"st":     struct{ A int }{A: 1}, "p": &five, "np": (*int)(nil),
	}
}

// compare runs src in both VMs and reports a difference.
func compare(t *testing.T, src string, env map[string]any) {
	t.Helper()
	ce, err := newExprCompiler(1000).compile(src)
	if err != nil {
		return // refused at load time: nothing runs
	}
	var e evalVM
	b := DefaultGuardBudget()
	e.begin(b.EvalOps, b.EvalMemory, nil)
	got, gotErr := e.run(&ce.code, env)
	if errors.Is(gotErr, errEvalBudget) {
		return // expr-lang's VM would run on, without a bound
	}
	theirs := vm.VM{MemoryBudget: math.MaxUint}
	want, wantErr := theirs.Run(ce.prog, env)
	if msg(gotErr) != msg(wantErr) || !sameValue(got, want) {
		t.Errorf("%s:\n got %#v, %q\nwant %#v, %q", src, got, msg(gotErr), want, msg(wantErr))
	}
}

func msg(err error) string {
	if err == nil {
		return ""
	}
	return exprRuntimeMessage(err)
}

// sameValue is reflect.DeepEqual with NaN equal to itself.
func sameValue(a, b any) bool {
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok && math.IsNaN(fa) && math.IsNaN(fb) {
			return true
		}
	}
	return reflect.DeepEqual(a, b)
}

// TestEvalVMMatchesExprVM: evalVM gives every expression of the corpus the
// value or the error expr-lang's VM gives it.
func TestEvalVMMatchesExprVM(t *testing.T) {
	for _, src := range vmCorpus {
		t.Run(src, func(t *testing.T) { compare(t, src, vmEnv()) })
	}
}

// FuzzEvalVM compares evalVM with expr-lang's VM on arbitrary expressions.
func FuzzEvalVM(f *testing.F) {
	for _, src := range vmCorpus {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src string) { compare(t, src, vmEnv()) })
}

// TestEvalVMBudget: each way an expression spends work or memory is charged,
// and past the cap the evaluation stops with errEvalBudget and reports one
// unit more than the cap.
func TestEvalVMBudget(t *testing.T) {
	big := strings.Repeat("x", 20_000)
	list := make([]any, 5000)
	for i := range list {
		list[i] = i
	}
	env := map[string]any{"s": big, "t": big + "y", "list": list, "x": 1}
	tests := []struct {
		name           string
		src            string
		opsCap, memCap int64
		wantOps        bool // the operations cap is the one exceeded
	}{
		{name: "string concatenation", src: "len(s + s + s) > 0", opsCap: 1e6, memCap: 90_000},
		{name: "string concatenation doubling with let", src: "let a = s + s; let b = a + a; let c = b + b; len(c) > 0", opsCap: 1e6, memCap: 200_000},
		{name: "range", src: "len(1..100000) > 0", opsCap: 1e6, memCap: 100_000},
		{name: "list literal", src: "len([x, x, x, x, x, x, x, x, x, x]) > 0", opsCap: 1e6, memCap: 100},
		{name: "map literal", src: "len({'a': x, 'b': x, 'c': x}) > 0", opsCap: 1e6, memCap: 100},
		{name: "nested map", src: "len({'a': {'b': {'c': [x]}}}) > 0", opsCap: 1e6, memCap: 150},
		{name: "instructions", src: "x + x + x + x + x + x + x + x > 0", opsCap: 10, memCap: 1e6, wantOps: true},
		{name: "sum over a long list", src: "sum(list) > 0", opsCap: 10_000, memCap: 1e6, wantOps: true},
		{name: "membership in a long list", src: "-1 in list", opsCap: 1000, memCap: 1e6, wantOps: true},
		{name: "long list equality", src: "list == list", opsCap: 1000, memCap: 1e6, wantOps: true},
		{name: "long string comparison", src: "s < t", opsCap: 1000, memCap: 1e6, wantOps: true},
		{name: "long string search", src: "t contains 'y'", opsCap: 1000, memCap: 1e6, wantOps: true},
		{name: "regular expression", src: "t matches 'x+y'", opsCap: 1000, memCap: 1e6, wantOps: true},
		{name: "max over a long list", src: "max(list) > 0", opsCap: 1000, memCap: 1e6, wantOps: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ce, err := newExprCompiler(1000).compile(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var e evalVM
			e.begin(tc.opsCap, tc.memCap, nil)
			_, err = e.run(&ce.code, env)
			if !errors.Is(err, errEvalBudget) {
				t.Fatalf("err = %v, want %v", err, errEvalBudget)
			}
			gotOps, gotMem := e.ops == tc.opsCap+1, e.mem == tc.memCap+1
			if gotOps != tc.wantOps || gotMem == tc.wantOps {
				t.Errorf("ops %d of %d, memory %d of %d; want the %s cap exceeded by one", e.ops, tc.opsCap, e.mem, tc.memCap,
					map[bool]string{true: "operations", false: "memory"}[tc.wantOps])
			}
			// the same expression within a large enough budget
			e.begin(1e9, 1e9, nil)
			if _, err := e.run(&ce.code, env); err != nil {
				t.Errorf("with a large budget: %v", err)
			}
		})
	}
}

// TestEvalVMStopsWhenCancelled: a long evaluation looks at done while it
// runs, not only between guards.
func TestEvalVMStopsWhenCancelled(t *testing.T) {
	ce, err := newExprCompiler(1000).compile("sum(1..n) > 0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	close(done)
	var e evalVM
	e.begin(1e9, 1e9, done)
	_, err = e.run(&ce.code, map[string]any{"n": 100_000})
	if !errors.Is(err, errEvalCancelled) || e.halt != haltCancelled {
		t.Fatalf("err = %v, halt = %d; want %v", err, e.halt, errEvalCancelled)
	}
	if e.ops > 100_000+2*pollEvery {
		t.Errorf("ran %d operations after the caller was gone; want at most %d", e.ops, 100_000+2*pollEvery)
	}
}
