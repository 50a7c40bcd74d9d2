package engine_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/statorhq/stator/engine"
)

// guardMachine is a machine whose only transition, a --check--> b, has one
// inline guard: the expression under test.
func guardMachine(src string) (*engine.Machine, engine.Problems, error) {
	return engine.LoadMap(map[string]any{
		"meta": map[string]any{"machine_name": "expr"},
		"states": []any{
			map[string]any{"name": "a", "type": "initial"},
			map[string]any{"name": "b", "type": "terminal"},
		},
		"transitions": []any{
			map[string]any{"trigger": "check", "source": "a", "dest": "b", "guards": []any{map[string]any{"expr": src}}},
		},
	})
}

// ops builds the expected operand list from name, value pairs.
func ops(kv ...any) engine.Operands {
	out := engine.Operands{}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, engine.Operand{Name: kv[i].(string), Value: kv[i+1]})
	}
	return out
}

// TestExpressions runs the guard expression language of SPEC 3.3. Each case
// checks the outcome, the reason in the trace and the operands the
// expression read.
func TestExpressions(t *testing.T) {
	order := map[string]any{"qty": 12, "side": "buy", "limits": map[string]any{"max": 100}}
	tests := []struct {
		name       string
		expr       string
		ctx        engine.Context
		wantPass   bool
		wantReason string // exact reason of a failed guard; "" when it just returned false
		wantValues engine.Operands
	}{
		// comparisons
		{name: "chained comparison inside", expr: "0 < x < 10", ctx: engine.Context{"x": 5}, wantPass: true, wantValues: ops("x", 5)},
		{name: "chained comparison at the upper bound", expr: "0 < x < 10", ctx: engine.Context{"x": 10}, wantValues: ops("x", 10)},
		{name: "chained comparison at the lower bound", expr: "0 < x < 10", ctx: engine.Context{"x": 0}, wantValues: ops("x", 0)},
		{name: "chained comparison with two names", expr: "lo <= x <= hi", ctx: engine.Context{"lo": 1, "x": 1.5, "hi": 2}, wantPass: true, wantValues: ops("lo", 1, "x", 1.5, "hi", 2)},
		{name: "int and float compare by value", expr: "fill_qty >= order_qty", ctx: engine.Context{"fill_qty": 100.0, "order_qty": 100}, wantPass: true, wantValues: ops("fill_qty", 100.0, "order_qty", 100)},
		{name: "not equal", expr: "status != 'closed'", ctx: engine.Context{"status": "open"}, wantPass: true, wantValues: ops("status", "open")},

		// literals
		{name: "True", expr: "flag == True", ctx: engine.Context{"flag": true}, wantPass: true, wantValues: ops("flag", true)},
		{name: "False", expr: "flag == False", ctx: engine.Context{"flag": true}, wantValues: ops("flag", true)},
		{name: "lowercase true and null", expr: "flag == true and other == null", ctx: engine.Context{"flag": true, "other": nil}, wantPass: true, wantValues: ops("flag", true, "other", nil)},
		{name: "None for a key present with null", expr: "x == None", ctx: engine.Context{"x": nil}, wantPass: true, wantValues: ops("x", nil)},
		{name: "None for a key with a value", expr: "x == None", ctx: engine.Context{"x": 0}, wantValues: ops("x", 0)},
		{name: "is not None spelled !=", expr: "x != None", ctx: engine.Context{"x": "set"}, wantPass: true, wantValues: ops("x", "set")},
		{name: "single quoted string", expr: "status == 'open'", ctx: engine.Context{"status": "open"}, wantPass: true, wantValues: ops("status", "open")},
		{name: "double quoted string", expr: `status == "open"`, ctx: engine.Context{"status": "open"}, wantPass: true, wantValues: ops("status", "open")},
		{name: "quote of the other kind inside a string", expr: `name == "O'Brien"`, ctx: engine.Context{"name": "O'Brien"}, wantPass: true, wantValues: ops("name", "O'Brien")},
		{name: "a bare true value", expr: "in_flight", ctx: engine.Context{"in_flight": true}, wantPass: true, wantValues: ops("in_flight", true)},
		{name: "a bare empty string is false", expr: "note", ctx: engine.Context{"note": ""}, wantValues: ops("note", "")},

		// nested objects
		{name: "dotted access", expr: "order.qty >= 10", ctx: engine.Context{"order": order}, wantPass: true, wantValues: ops("order.qty", 12)},
		{name: "subscript access", expr: `order["side"] == "buy"`, ctx: engine.Context{"order": order}, wantPass: true, wantValues: ops("order.side", "buy")},
		{name: "subscript with single quotes", expr: `order['side'] == 'sell'`, ctx: engine.Context{"order": order}, wantValues: ops("order.side", "buy")},
		{name: "two levels", expr: "order.limits.max == 100", ctx: engine.Context{"order": order}, wantPass: true, wantValues: ops("order.limits.max", 100)},
		{name: "subscript then dot", expr: `order["limits"].max > order.qty`, ctx: engine.Context{"order": order}, wantPass: true, wantValues: ops("order.limits.max", 100, "order.qty", 12)},
		{name: "nested engine.Context", expr: "account.balance > 0", ctx: engine.Context{"account": engine.Context{"balance": 5}}, wantPass: true, wantValues: ops("account.balance", 5)},
		{name: "list index", expr: "items[0] == 'x'", ctx: engine.Context{"items": []any{"x", "y"}}, wantPass: true, wantValues: ops("items", []any{"x", "y"})},
		{name: "nested key present with null", expr: "order.note == None", ctx: engine.Context{"order": map[string]any{"note": nil}}, wantPass: true, wantValues: ops("order.note", nil)},

		// lists and membership
		{name: "in a list literal", expr: "x in [1, 2, 3]", ctx: engine.Context{"x": 2}, wantPass: true, wantValues: ops("x", 2)},
		{name: "not in a list literal", expr: "x not in [1, 2]", ctx: engine.Context{"x": 3}, wantPass: true, wantValues: ops("x", 3)},
		{name: "in a list of strings", expr: "side in ['buy', \"sell\"]", ctx: engine.Context{"side": "short"}, wantValues: ops("side", "short")},
		{name: "in a context list", expr: "'vip' in tags", ctx: engine.Context{"tags": []any{"new", "vip"}}, wantPass: true, wantValues: ops("tags", []any{"new", "vip"})},
		{name: "list equality", expr: "pair == [1, 2]", ctx: engine.Context{"pair": []any{1, 2}}, wantPass: true, wantValues: ops("pair", []any{1, 2})},

		// logic
		{name: "and", expr: "a > 1 and b > 1", ctx: engine.Context{"a": 2, "b": 1}, wantValues: ops("a", 2, "b", 1)},
		{name: "or", expr: "a > 1 or b > 1", ctx: engine.Context{"a": 2, "b": 1}, wantPass: true, wantValues: ops("a", 2, "b", 1)},
		{name: "not", expr: "not in_flight", ctx: engine.Context{"in_flight": false}, wantPass: true, wantValues: ops("in_flight", false)},
		{name: "not binds tighter than and", expr: "not a and b", ctx: engine.Context{"a": false, "b": true}, wantPass: true, wantValues: ops("a", false, "b", true)},
		{name: "and binds tighter than or", expr: "a or b and c", ctx: engine.Context{"a": true, "b": false, "c": false}, wantPass: true, wantValues: ops("a", true, "b", false, "c", false)},
		{name: "parentheses", expr: "(a or b) and c", ctx: engine.Context{"a": true, "b": false, "c": false}, wantValues: ops("a", true, "b", false, "c", false)},

		// arithmetic
		{name: "precedence of * over +", expr: "a + b * 2 == 7", ctx: engine.Context{"a": 1, "b": 3}, wantPass: true, wantValues: ops("a", 1, "b", 3)},
		{name: "parentheses in arithmetic", expr: "(a + b) * 2 == 8", ctx: engine.Context{"a": 1, "b": 3}, wantPass: true, wantValues: ops("a", 1, "b", 3)},
		{name: "subtraction and unary minus", expr: "a - b == -2", ctx: engine.Context{"a": 1, "b": 3}, wantPass: true, wantValues: ops("a", 1, "b", 3)},
		{name: "division is true division", expr: "a / 2 == 2.5", ctx: engine.Context{"a": 5}, wantPass: true, wantValues: ops("a", 5)},
		{name: "modulo", expr: "a % 3 == 1", ctx: engine.Context{"a": 7}, wantPass: true, wantValues: ops("a", 7)},
		{name: "float arithmetic", expr: "price * qty > 99.4", ctx: engine.Context{"price": 9.95, "qty": 10}, wantPass: true, wantValues: ops("price", 9.95, "qty", 10)},

		// builtins
		{name: "len of a list", expr: "len(items) == 3", ctx: engine.Context{"items": []any{1, 2, 3}}, wantPass: true, wantValues: ops("items", []any{1, 2, 3})},
		{name: "len of a string", expr: "len(name) > 3", ctx: engine.Context{"name": "ada"}, wantValues: ops("name", "ada")},
		{name: "len of an object", expr: "len(order) == 3", ctx: engine.Context{"order": order}, wantPass: true, wantValues: ops("order", order)},
		{name: "min of arguments", expr: "min(a, b) == 1", ctx: engine.Context{"a": 1, "b": 3}, wantPass: true, wantValues: ops("a", 1, "b", 3)},
		{name: "min of a list", expr: "min(items) == -4", ctx: engine.Context{"items": []any{3, -4, 5}}, wantPass: true, wantValues: ops("items", []any{3, -4, 5})},
		{name: "max of arguments", expr: "max(a, b, 7) == 7", ctx: engine.Context{"a": 1, "b": 3}, wantPass: true, wantValues: ops("a", 1, "b", 3)},
		{name: "max of a list", expr: "max(items) == 5", ctx: engine.Context{"items": []any{3, -4, 5}}, wantPass: true, wantValues: ops("items", []any{3, -4, 5})},
		{name: "abs", expr: "abs(a - b) == 2", ctx: engine.Context{"a": 1, "b": 3}, wantPass: true, wantValues: ops("a", 1, "b", 3)},
		{name: "sum of a list", expr: "sum(fills) >= order_qty", ctx: engine.Context{"fills": []any{40, 60.0}, "order_qty": 100}, wantPass: true, wantValues: ops("fills", []any{40, 60.0}, "order_qty", 100)},
		{name: "sum of a list literal", expr: "sum([1, 2, 3]) == 6", ctx: engine.Context{}, wantPass: true, wantValues: ops()},

		// missing names fail the guard with the reason
		{name: "missing name", expr: "missing > 1", ctx: engine.Context{}, wantReason: "missing is not in the context", wantValues: ops()},
		{name: "missing name after a present one", expr: "a > 1 and missing > 1", ctx: engine.Context{"a": 2}, wantReason: "missing is not in the context", wantValues: ops("a", 2)},
		{name: "missing nested key", expr: "order.price > 1", ctx: engine.Context{"order": order}, wantReason: "order.price is not in the context", wantValues: ops()},
		{name: "dotted access into a number", expr: "order.qty.value > 1", ctx: engine.Context{"order": order}, wantReason: "order.qty.value is not in the context", wantValues: ops()},
		{name: "missing name compared with None", expr: "x == None", ctx: engine.Context{}, wantReason: "x is not in the context", wantValues: ops()},
		// SPEC 3.3 says a missing name makes the guard fail; that holds even
		// where Python's `or` would not have read it (decided: a guard never
		// passes on data that is not there).
		{name: "missing name on the right of a true or", expr: "a > 1 or missing > 1", ctx: engine.Context{"a": 2}, wantReason: "missing is not in the context", wantValues: ops("a", 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, problems, err := guardMachine(tc.expr)
			if err != nil {
				t.Fatalf("load: %v", problems)
			}
			res := m.Process("a", "check", tc.ctx)
			if res.Success != tc.wantPass {
				t.Errorf("success = %v, want %v (%v)", res.Success, tc.wantPass, res.Err())
			}
			trace := res.GuardTrace()
			if len(trace) != 1 || len(trace[0].Guards) != 1 {
				t.Fatalf("trace = %+v, want one transition with one guard", trace)
			}
			got := trace[0].Guards[0]
			want := engine.GuardCheck{Guard: tc.expr, Kind: engine.GuardKindExpression, Passed: tc.wantPass, Error: tc.wantReason, Values: tc.wantValues}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("guard check:\n got %#v\nwant %#v", got, want)
			}
			if !tc.wantPass {
				if !errors.Is(res.Err(), engine.ErrGuardRejected) || res.Metadata.GuardName != tc.expr {
					t.Errorf("error = %v, guard_name = %q; want guard_rejected by %q", res.Err(), res.Metadata.GuardName, tc.expr)
				}
			}
		})
	}
}

// TestExpressionRuntimeErrors checks that an evaluation error fails the guard
// with its reason instead of crashing.
func TestExpressionRuntimeErrors(t *testing.T) {
	tests := []struct {
		name       string
		expr       string
		ctx        engine.Context
		wantReason string
		wantValues engine.Operands
	}{
		{name: "string compared with a number", expr: "s > 1", ctx: engine.Context{"s": "abc"}, wantReason: "invalid operation: string > int", wantValues: ops("s", "abc")},
		{name: "integer modulo by zero", expr: "x % y == 0", ctx: engine.Context{"x": 2, "y": 0}, wantReason: "runtime error: integer divide by zero", wantValues: ops("x", 2, "y", 0)},
		{name: "len of a number", expr: "len(n) > 0", ctx: engine.Context{"n": 5}, wantReason: "invalid argument for len (type int)", wantValues: ops("n", 5)},
		{name: "index out of range", expr: "items[5] == 1", ctx: engine.Context{"items": []any{1}}, wantReason: "index out of range: 5 (array length is 1)", wantValues: ops("items", []any{1})},
		{name: "arithmetic on null", expr: "x + 1 > 0", ctx: engine.Context{"x": nil}, wantReason: "invalid operation: <nil> + int", wantValues: ops("x", nil)},
		{name: "a range too large for the evaluation budget", expr: "len(1..100000000) > 0", ctx: engine.Context{}, wantReason: "evaluation budget exceeded", wantValues: ops()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, problems, err := guardMachine(tc.expr)
			if err != nil {
				t.Fatalf("load: %v", problems)
			}
			res := m.Process("a", "check", tc.ctx)
			if res.Success || res.Error == nil || res.Error.Code != engine.ErrCodeGuardRejected {
				t.Fatalf("result = %v %v, want guard_rejected", res.Success, res.Err())
			}
			got := res.GuardTrace()[0].Guards[0]
			want := engine.GuardCheck{Guard: tc.expr, Kind: engine.GuardKindExpression, Passed: false, Error: tc.wantReason, Values: tc.wantValues}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("guard check:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

// TestExpressionsRefusedAtLoad checks that only len, min, max, abs and sum can
// be called (no I/O, no clock, no loops), and that syntax errors are refused,
// each with invalid_expression and the column inside the expression.
func TestExpressionsRefusedAtLoad(t *testing.T) {
	tests := []struct {
		name        string
		expr        string
		wantMessage string // part of the problem's message
	}{
		{name: "unknown function", expr: "foo(1) > 0", wantMessage: "foo() cannot be called; only len, min, max, abs, sum can be called (column 1 of the expression)"},
		{name: "clock", expr: "now() > start", wantMessage: "now() cannot be called"},
		{name: "expr-lang string builtin", expr: "upper(s) == 'A'", wantMessage: "upper() cannot be called"},
		{name: "expr-lang date builtin", expr: "date('2024-01-01') != nil", wantMessage: "date() cannot be called"},
		{name: "builtin after an allowed one", expr: "len(s) > 0 and toJSON(s) != ''", wantMessage: "toJSON() cannot be called; only len, min, max, abs, sum can be called (column 16 of the expression)"},
		{name: "method call", expr: "s.upper() == 'A'", wantMessage: "the method upper() cannot be called"},
		{name: "predicate loop", expr: "all(items, # > 0)", wantMessage: "all() cannot be called"},
		{name: "filter through a pipe", expr: "len(items | filter(# > 0)) > 1", wantMessage: "filter() cannot be called"},
		{name: "sum with a predicate", expr: "sum(items, # * 2) > 1", wantMessage: "predicates ({...}, #) loop over lists, and expressions have no loops"},
		{name: "syntax error", expr: "a >", wantMessage: "unexpected token EOF"},
		{name: "empty", expr: "   ", wantMessage: "the expression is empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, problems, err := guardMachine(tc.expr)
			if err == nil {
				t.Fatalf("loaded; want invalid_expression (result: %+v)", m.Process("a", "check", nil))
			}
			errs := problems.Errors()
			if len(errs) != 1 || errs[0].Code != engine.CodeInvalidExpression || errs[0].Path != "transitions[0].guards" {
				t.Fatalf("problems = %v, want one invalid_expression at transitions[0].guards", problems)
			}
			if !strings.Contains(errs[0].Message, tc.wantMessage) {
				t.Errorf("message = %q, want it to contain %q", errs[0].Message, tc.wantMessage)
			}
		})
	}
}

// TestExpressionColumnInText checks that a refused call is marked at its
// column in the YAML text.
func TestExpressionColumnInText(t *testing.T) {
	text := "states:\n  - {name: a, type: initial}\ntransitions:\n  - {trigger: go, source: a, dest: a, guards: [{expr: \"x > 1 and now() > 2\"}]}\n"
	_, problems, _ := engine.Load([]byte(text))
	want := []where{errAt(engine.CodeInvalidExpression, "transitions[0].guards[0]", 4, 66)}
	var got []where
	for _, p := range problems {
		got = append(got, whereOf(p))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestLetBoundNamesAreNotContextKeys: a name bound with let is not read from
// the context, so it is neither required there nor shown as an operand.
func TestLetBoundNamesAreNotContextKeys(t *testing.T) {
	m, problems, err := guardMachine("let limit = max_qty * 2; qty < limit")
	if err != nil {
		t.Fatal(problems)
	}
	res := m.Process("a", "check", engine.Context{"qty": 5, "max_qty": 3})
	got := res.GuardTrace()[0].Guards[0]
	if !res.Success || !reflect.DeepEqual(got.Values, ops("max_qty", 3, "qty", 5)) {
		t.Errorf("success = %v, check = %+v; want a pass reading max_qty and qty", res.Success, got)
	}
}
