package engine

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/vm"
)

// Guard expressions (SPEC 3.3) are compiled by expr-lang/expr and run by evalVM
// (evalvm.go) within a budget (SPEC 11). The Python spellings of
// pystator's expressions are mapped onto it at compile time: True/False/None are
// patched to literals, `and/or/not/in/not in` and chained comparisons are native.
// Only len, min, max, abs and sum are available: no I/O, no clock, no loops.

// exprBuiltins are the only functions an expression may call.
var exprBuiltins = [...]string{"len", "min", "max", "abs", "sum"}

// maxExprNodes bounds the size of one compiled expression.
const maxExprNodes = 2000

// compiledExpr is a guard expression compiled once at load time.
type compiledExpr struct {
	src      string
	prog     *vm.Program // what expr-lang compiled: the tree and its bytecode
	code     exprProgram // the bytecode as evalVM runs it
	operands []operand
}

// operand is a context value an expression reads: a name or a dotted path.
type operand struct {
	key  string   // how it is shown: "fill_qty", "order.qty"
	path []string // the keys to follow
	soft bool     // read with ?. or on the left of ??: a missing value is not a failure
}

// ExprError is an expression that does not compile; Line and Column are 1-based
// positions inside the expression text.
type ExprError struct {
	Message      string
	Line, Column int
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("%s (at %d:%d in the expression)", e.Message, e.Line, e.Column)
}

// pythonLiterals patches pystator's True/False/None spellings (and JSON's
// null) into literals.
type pythonLiterals struct{}

func (pythonLiterals) Visit(node *ast.Node) {
	id, ok := (*node).(*ast.IdentifierNode)
	if !ok {
		return
	}
	switch id.Value {
	case "True":
		ast.Patch(node, &ast.BoolNode{Value: true})
	case "False":
		ast.Patch(node, &ast.BoolNode{Value: false})
	case "None", "null": // SPEC 3.3 lists null beside expr-lang's nil
		ast.Patch(node, &ast.NilNode{})
	}
}

func exprOptions() []expr.Option {
	opts := []expr.Option{
		expr.Env(map[string]any{}),
		expr.AllowUndefinedVariables(),
		expr.DisableAllBuiltins(),
		expr.Patch(pythonLiterals{}),
		expr.MaxNodes(maxExprNodes),
	}
	for _, b := range exprBuiltins {
		opts = append(opts, expr.EnableBuiltin(b))
	}
	return opts
}

// exprCompiler compiles the expressions of one load with one expr
// configuration, and compiles each distinct text once.
type exprCompiler struct {
	config *conf.Config
	cache  map[string]*compiledExpr
	maxLen int
}

func newExprCompiler(maxLen int) *exprCompiler {
	config := conf.CreateNew()
	for _, op := range exprOptions() {
		op(config)
	}
	for name := range config.Disabled {
		delete(config.Builtins, name)
	}
	config.Check()
	return &exprCompiler{config: config, cache: map[string]*compiledExpr{}, maxLen: maxLen}
}

// compile compiles one guard expression (what expr.Compile does, with the
// shared configuration).
func (ec *exprCompiler) compile(src string) (ce *compiledExpr, err error) {
	if ce, ok := ec.cache[src]; ok {
		return ce, nil
	}
	if strings.TrimSpace(src) == "" {
		return nil, &ExprError{Message: "the expression is empty", Line: 1, Column: 1}
	}
	if n := len([]rune(src)); n > ec.maxLen {
		return nil, &ExprError{Message: fmt.Sprintf("the expression is %d characters long; the limit is %d", n, ec.maxLen), Line: 1, Column: 1}
	}
	defer func() {
		// expr-lang is robust, but a malformed input must never crash a load.
		if r := recover(); r != nil {
			ce, err = nil, &ExprError{Message: fmt.Sprintf("the expression cannot be compiled: %v", r), Line: 1, Column: 1}
		}
	}()
	tree, err := checker.ParseCheck(src, ec.config)
	if err != nil {
		return nil, toExprError(err)
	}
	if fe := refuseCalls(tree.Node); fe != nil {
		return nil, toExprError(fe.Bind(tree.Source))
	}
	if err := optimizer.Optimize(&tree.Node, ec.config); err != nil {
		if fe, ok := err.(*file.Error); ok {
			return nil, toExprError(fe.Bind(tree.Source))
		}
		return nil, toExprError(err)
	}
	prog, err := compiler.Compile(tree, ec.config)
	if err != nil {
		return nil, toExprError(err)
	}
	code, fe := bindProgram(prog)
	if fe != nil {
		return nil, toExprError(fe.Bind(tree.Source))
	}
	ce = &compiledExpr{src: src, prog: prog, code: code, operands: collectOperands(prog.Node())}
	ec.cache[src] = ce
	return ce, nil
}

// refuseCalls finds the first call (in text order) of anything but the five
// builtins: expr-lang's other builtins, functions and methods, and its
// predicates (which loop over lists). AllowUndefinedVariables lets the checker
// accept unknown function names, so they are refused here, at load time.
func refuseCalls(root ast.Node) *file.Error {
	var found *file.Error
	ast.Walk(&root, visitFunc(func(node *ast.Node) {
		var msg string
		switch n := (*node).(type) {
		case *ast.BuiltinNode:
			if isExprBuiltin(n.Name) {
				return
			}
			msg = n.Name + "() cannot be called"
		case *ast.CallNode:
			msg = "this function cannot be called"
			switch c := n.Callee.(type) {
			case *ast.IdentifierNode:
				msg = c.Value + "() cannot be called"
			case *ast.MemberNode:
				if p, ok := c.Property.(*ast.StringNode); ok {
					msg = "the method " + p.Value + "() cannot be called"
				}
			}
		case *ast.PredicateNode, *ast.PointerNode:
			msg = "predicates ({...}, #) loop over lists, and expressions have no loops"
		default:
			return
		}
		if loc := (*node).Location(); found == nil || loc.From < found.From {
			found = &file.Error{Location: loc, Message: msg + "; only " + strings.Join(exprBuiltins[:], ", ") + " can be called"}
		}
	}))
	return found
}

func isExprBuiltin(name string) bool {
	for _, b := range exprBuiltins {
		if b == name {
			return true
		}
	}
	return false
}

func toExprError(err error) *ExprError {
	if fe, ok := err.(*file.Error); ok {
		msg := fe.Message
		if strings.HasPrefix(msg, "unknown func") || strings.Contains(msg, "is not callable") || strings.Contains(msg, "cannot call") {
			msg += fmt.Sprintf("; only %s can be called", strings.Join(exprBuiltins[:], ", "))
		}
		line := fe.Line
		if line == 0 {
			line = 1
		}
		return &ExprError{Message: msg, Line: line, Column: fe.Column + 1}
	}
	return &ExprError{Message: err.Error(), Line: 1, Column: 1}
}

// collectOperands lists the context values an expression reads, in order,
// keeping only maximal static paths (a.b, not also a).
func collectOperands(root ast.Node) []operand {
	c := &operandCollector{claimed: map[ast.Node]bool{}, lets: map[string]bool{}, soft: map[ast.Node]bool{}}
	// let-bound names are not context keys; the walk is post-order, so they
	// are collected before the names that use them are visited
	ast.Walk(&root, visitFunc(func(n *ast.Node) {
		if v, ok := (*n).(*ast.VariableDeclaratorNode); ok {
			c.lets[v.Name] = true
		}
	}))
	ast.Walk(&root, c)
	var out []operand
	seen := map[string]bool{}
	for _, r := range c.records {
		if c.claimed[r.node] || seen[r.op.key] {
			continue
		}
		seen[r.op.key] = true
		out = append(out, r.op)
	}
	return out
}

type operandRecord struct {
	node ast.Node
	op   operand
}

type operandCollector struct {
	records []operandRecord
	claimed map[ast.Node]bool
	lets    map[string]bool
	soft    map[ast.Node]bool
}

// Visit runs after the node's children (ast.Walk is post-order).
func (c *operandCollector) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.VariableDeclaratorNode:
		c.lets[n.Name] = true
	case *ast.BinaryNode:
		if n.Operator == "??" {
			c.markSoft(n.Left)
		}
	case *ast.ChainNode:
		c.markSoft(n.Node)
	}
	path, optional, ok := staticPath(*node)
	if !ok || c.lets[path[0]] || path[0] == "$env" {
		return
	}
	if m, isMember := (*node).(*ast.MemberNode); isMember {
		c.claimed[m.Node] = true
	}
	c.records = append(c.records, operandRecord{node: *node, op: operand{key: strings.Join(path, "."), path: path, soft: optional}})
}

// markSoft marks the operands recorded for a subtree as optional reads.
func (c *operandCollector) markSoft(n ast.Node) {
	for i := range c.records {
		if c.records[i].node == n || within(n, c.records[i].node) {
			c.records[i].op.soft = true
		}
	}
}

func within(root, target ast.Node) bool {
	found := false
	ast.Walk(&root, visitFunc(func(n *ast.Node) {
		if *n == target {
			found = true
		}
	}))
	return found
}

type visitFunc func(*ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(n) }

// staticPath returns the key path of an identifier or a chain of constant
// member accesses (a.b, a["b"]).
func staticPath(n ast.Node) (path []string, optional, ok bool) {
	switch t := n.(type) {
	case *ast.IdentifierNode:
		return []string{t.Value}, false, true
	case *ast.MemberNode:
		prop, isStr := t.Property.(*ast.StringNode)
		if !isStr || t.Method {
			return nil, false, false
		}
		base, opt, ok := staticPath(t.Node)
		if !ok {
			return nil, false, false
		}
		return append(append([]string{}, base...), prop.Value), opt || t.Optional, true
	case *ast.ChainNode:
		return staticPath(t.Node)
	}
	return nil, false, false
}

// lookupPath follows a key path through nested maps.
func lookupPath(ctx map[string]any, path []string) (any, bool) {
	v, ok := ctx[path[0]]
	if !ok {
		return nil, false
	}
	for _, k := range path[1:] {
		switch m := v.(type) {
		case map[string]any:
			v, ok = m[k]
		case Context:
			v, ok = m[k]
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
	}
	return v, true
}

// vmPool reuses evaluation VMs so that evaluating a guard does not allocate.
type vmPool struct{ p sync.Pool }

func (vp *vmPool) get() *evalVM {
	if v, ok := vp.p.Get().(*evalVM); ok {
		return v
	}
	return &evalVM{}
}

func (vp *vmPool) put(v *evalVM) { vp.p.Put(v) }

// eval runs the expression on env within the budget begun on machine,
// recording the operand values it reads into the trace (log is nil when the
// candidate is not traced). A missing operand, an evaluation error or a spent
// budget fails the guard with a reason. nv is how many values were read.
func (ce *compiledExpr) eval(machine *evalVM, env Context, log *traceLog) (passed bool, reason string, nv int) {
	for i := range ce.operands {
		op := &ce.operands[i]
		v, ok := lookupPath(env, op.path)
		if !ok && !op.soft {
			return false, op.key + " is not in the context", nv
		}
		if log != nil {
			log.addVal(v)
		}
		nv++
	}
	out, err := machine.run(&ce.code, map[string]any(env))
	if err != nil {
		return false, exprRuntimeMessage(err), nv
	}
	return truthy(out), "", nv
}

func exprRuntimeMessage(err error) string {
	if fe, ok := err.(*file.Error); ok {
		return fe.Message
	}
	return err.Error()
}

// truthy applies Python truthiness, as pystator's guards do.
func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case nil:
		return false
	case string:
		return t != ""
	case map[string]any:
		return len(t) > 0
	case []any:
		return len(t) > 0
	}
	if f, ok := toFloat(v); ok {
		return f != 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array, reflect.String:
		return rv.Len() > 0
	}
	return true
}
