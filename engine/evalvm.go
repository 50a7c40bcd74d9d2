package engine

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/expr-lang/expr/vm/runtime"
)

// Guard expressions are compiled by expr-lang and run here, by evalVM: a copy
// of expr-lang's VM loop (vm.VM.Run of v1.17.8) for the instructions a guard
// can compile to, with the operators' meaning taken from expr-lang's runtime
// package. Unlike vm.VM it meters every evaluation (SPEC 11): each
// instruction, each element or 16 bytes a comparison or search scans, and the
// bytes of every value built (strings joined with +, lists, maps, ranges) are
// charged before the work is done, and it stops when the caller is gone.
// vm.VM's own MemoryBudget does not count strings, and it cannot be stopped.

// errEvalBudget and errEvalCancelled are why an evaluation stopped early;
// their text is the reason guard_trace shows.
var (
	errEvalBudget    = errors.New("evaluation budget exceeded")
	errEvalCancelled = errors.New("evaluation cancelled: the caller is gone")
)

// exprProgram is a compiled guard expression as evalVM runs it: expr-lang's
// bytecode, with the builtin functions its calls refer to.
type exprProgram struct {
	code   []vm.Opcode
	args   []int
	consts []any
	funcs  []vm.Function
}

// bindProgram takes a compiled program's bytecode and resolves the function
// slots of its calls. expr-lang keeps the slots' functions unexported; only
// min and max compile to slot calls among the builtins guards may use, and
// each call instruction carries the source location of its BuiltinNode.
func bindProgram(prog *vm.Program) (exprProgram, *file.Error) {
	p := exprProgram{code: prog.Bytecode, args: prog.Arguments, consts: prog.Constants}
	locs := prog.Locations()
	var names []string
	for i, op := range p.code {
		switch op {
		case vm.OpCall0, vm.OpCall1, vm.OpCall2, vm.OpCall3, vm.OpLoadFunc:
		default:
			continue
		}
		name := builtinAt(prog.Node(), locs[i])
		id, ok := builtin.Index[name]
		slot := p.args[i]
		if !ok || builtin.Builtins[id].Func == nil || slot < 0 || slot >= len(p.code) {
			return p, &file.Error{Location: locs[i], Message: "this call cannot be bound to a function"}
		}
		for len(p.funcs) <= slot {
			p.funcs = append(p.funcs, nil)
			names = append(names, "")
		}
		if names[slot] != "" && names[slot] != name {
			return p, &file.Error{Location: locs[i], Message: "the calls of " + names[slot] + " and " + name + " share a function slot"}
		}
		p.funcs[slot], names[slot] = builtin.Builtins[id].Func, name
	}
	return p, nil
}

// builtinAt names the builtin called at loc.
func builtinAt(root ast.Node, loc file.Location) string {
	var name string
	ast.Walk(&root, visitFunc(func(n *ast.Node) {
		if b, ok := (*n).(*ast.BuiltinNode); ok && b.Location() == loc {
			name = b.Name
		}
	}))
	return name
}

// evalHalt is why an evaluation stopped before its end.
type evalHalt uint8

const (
	haltNone evalHalt = iota
	haltBudget
	haltCancelled
)

// evalVM runs guard expressions under a budget. It is not safe for
// concurrent use: a process call takes one from the machine's pool.
type evalVM struct {
	stack    []any
	vars     []any
	scopes   []vm.Scope
	callArgs []any

	ops, mem       int64 // spent by the running evaluation
	opsCap, memCap int64
	check          int64 // the operation count at which poll runs next
	done           <-chan struct{}
	halt           evalHalt
}

// begin readies the VM for one evaluation with these caps. done, when it is
// closed, stops the evaluation.
func (e *evalVM) begin(opsCap, memCap int64, done <-chan struct{}) {
	e.ops, e.mem, e.opsCap, e.memCap = 0, 0, opsCap, memCap
	e.done, e.halt = done, haltNone
	e.check = min(opsCap, pollEvery)
}

// run evaluates p against env. A runtime error or a spent budget is an error
// (never a panic): errEvalBudget, errEvalCancelled, or the error expr-lang's
// VM would report, with its text.
func (e *evalVM) run(p *exprProgram, env map[string]any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, e.recovered(r)
		}
		e.release()
	}()
	code, args, consts := p.code, p.args, p.consts
	for ip := 0; ip < len(code); {
		op, arg := code[ip], args[ip]
		ip++
		e.ops++
		if e.ops > e.check {
			e.poll()
		}

		switch op {
		case vm.OpPush:
			e.push(consts[arg])
		case vm.OpInt:
			e.push(arg)
		case vm.OpPop:
			e.pop()
		case vm.OpStore:
			for len(e.vars) <= arg {
				e.vars = append(e.vars, nil)
			}
			e.vars[arg] = e.pop()
		case vm.OpLoadVar:
			var v any
			if arg < len(e.vars) {
				v = e.vars[arg]
			}
			e.push(v)
		case vm.OpLoadConst:
			e.push(runtime.Fetch(env, consts[arg]))
		case vm.OpLoadFast:
			e.push(env[consts[arg].(string)])
		case vm.OpLoadFunc:
			e.push(p.funcs[arg])
		case vm.OpLoadEnv:
			e.push(env)
		case vm.OpFetch:
			b := e.pop()
			a := e.pop()
			e.chargeString(b) // a map hashes its key
			e.push(runtime.Fetch(a, b))
		case vm.OpTrue:
			e.push(true)
		case vm.OpFalse:
			e.push(false)
		case vm.OpNil:
			e.push(nil)
		case vm.OpNegate:
			e.push(runtime.Negate(e.pop()))
		case vm.OpNot:
			e.push(!e.pop().(bool))
		case vm.OpEqual:
			b := e.pop()
			a := e.pop()
			e.chargeEqual(a, b)
			e.push(runtime.Equal(a, b))
		case vm.OpEqualInt:
			b := e.pop()
			a := e.pop()
			e.push(a.(int) == b.(int))
		case vm.OpEqualString:
			b := e.pop()
			a := e.pop()
			e.chargeStrings(a, b)
			e.push(a.(string) == b.(string))

		case vm.OpJump:
			ip += forward(arg)
		case vm.OpJumpIfTrue:
			if e.current().(bool) {
				ip += forward(arg)
			}
		case vm.OpJumpIfFalse:
			if !e.current().(bool) {
				ip += forward(arg)
			}
		case vm.OpJumpIfNil:
			if runtime.IsNil(e.current()) {
				ip += forward(arg)
			}
		case vm.OpJumpIfNotNil:
			if !runtime.IsNil(e.current()) {
				ip += forward(arg)
			}
		case vm.OpJumpIfEnd:
			if s := e.scope(); s.Index >= s.Len {
				ip += forward(arg)
			}
		case vm.OpJumpBackward:
			ip -= arg

		case vm.OpIn:
			b := e.pop()
			a := e.pop()
			e.chargeIn(a, b)
			e.push(runtime.In(a, b))
		case vm.OpLess:
			b := e.pop()
			a := e.pop()
			e.chargeStrings(a, b)
			e.push(runtime.Less(a, b))
		case vm.OpMore:
			b := e.pop()
			a := e.pop()
			e.chargeStrings(a, b)
			e.push(runtime.More(a, b))
		case vm.OpLessOrEqual:
			b := e.pop()
			a := e.pop()
			e.chargeStrings(a, b)
			e.push(runtime.LessOrEqual(a, b))
		case vm.OpMoreOrEqual:
			b := e.pop()
			a := e.pop()
			e.chargeStrings(a, b)
			e.push(runtime.MoreOrEqual(a, b))

		case vm.OpAdd:
			b := e.pop()
			a := e.pop()
			if x, ok := a.(string); ok {
				if y, ok := b.(string); ok {
					e.alloc(1, int64(len(x))+int64(len(y)))
				}
			}
			e.push(runtime.Add(a, b))
		case vm.OpSubtract:
			b := e.pop()
			a := e.pop()
			e.push(runtime.Subtract(a, b))
		case vm.OpMultiply:
			b := e.pop()
			a := e.pop()
			e.push(runtime.Multiply(a, b))
		case vm.OpDivide:
			b := e.pop()
			a := e.pop()
			e.push(runtime.Divide(a, b))
		case vm.OpModulo:
			b := e.pop()
			a := e.pop()
			e.push(runtime.Modulo(a, b))
		case vm.OpExponent:
			b := e.pop()
			a := e.pop()
			e.push(runtime.Exponent(a, b))
		case vm.OpRange:
			b := e.pop()
			a := e.pop()
			lo, hi := runtime.ToInt(a), runtime.ToInt(b)
			if size := hi - lo + 1; size > 0 {
				e.alloc(int64(size), intBytes)
				e.alloc(1, sliceBytes)
				e.charge(int64(size))
			}
			e.push(runtime.MakeRange(lo, hi))

		case vm.OpMatches:
			b := e.pop()
			a := e.pop()
			if runtime.IsNil(a) || runtime.IsNil(b) {
				e.push(false)
				break
			}
			pattern := b.(string)
			e.chargeMatch(a, len(pattern))
			var match bool
			var err error
			if s, ok := a.(string); ok {
				match, err = regexp.MatchString(pattern, s)
			} else {
				match, err = regexp.Match(pattern, a.([]byte))
			}
			if err != nil {
				panic(err)
			}
			e.push(match)
		case vm.OpMatchesConst:
			a := e.pop()
			if runtime.IsNil(a) {
				e.push(false)
				break
			}
			r := consts[arg].(*regexp.Regexp)
			e.chargeMatch(a, len(r.String()))
			if s, ok := a.(string); ok {
				e.push(r.MatchString(s))
			} else {
				e.push(r.Match(a.([]byte)))
			}
		case vm.OpContains, vm.OpStartsWith, vm.OpEndsWith:
			b := e.pop()
			a := e.pop()
			if runtime.IsNil(a) || runtime.IsNil(b) {
				e.push(false)
				break
			}
			e.chargeStrings(a, b)
			e.push(stringTest(op, a.(string), b.(string)))
		case vm.OpSlice:
			from := e.pop()
			to := e.pop()
			node := e.pop()
			e.push(runtime.Slice(node, from, to))

		case vm.OpCall0, vm.OpCall1, vm.OpCall2, vm.OpCall3:
			e.call(p.funcs[arg], int(op-vm.OpCall0))
		case vm.OpCallN:
			fn := e.pop().(vm.Function)
			e.call(fn, arg)
		case vm.OpCallBuiltin1:
			a := e.pop()
			e.chargeString(a) // len counts a string's characters
			e.push(builtin.Builtins[arg].Fast(a))

		case vm.OpArray:
			size := e.pop().(int)
			e.alloc(int64(size), elemBytes)
			e.alloc(1, sliceBytes)
			array := make([]any, size)
			for i := size - 1; i >= 0; i-- {
				array[i] = e.pop()
			}
			e.push(array)
		case vm.OpMap:
			size := e.pop().(int)
			e.alloc(int64(size), mapEntryBytes)
			e.alloc(1, mapBytes)
			m := make(map[string]any)
			for i := size - 1; i >= 0; i-- {
				value := e.pop()
				key := e.pop()
				e.chargeString(key)
				m[key.(string)] = value
			}
			e.push(m)
		case vm.OpLen:
			e.push(runtime.Len(e.current()))
		case vm.OpCast:
			e.push(cast(arg, e.pop()))
		case vm.OpDeref:
			e.push(derefValue(e.pop()))
		case vm.OpThrow:
			panic(e.pop().(error))

		// the loop of sum(list)
		case vm.OpBegin:
			e.begin1(e.pop())
		case vm.OpEnd:
			e.scopes[len(e.scopes)-1] = vm.Scope{}
			e.scopes = e.scopes[:len(e.scopes)-1]
		case vm.OpIncrementIndex:
			e.scope().Index++
		case vm.OpDecrementIndex:
			e.scope().Index--
		case vm.OpIncrementCount:
			e.scope().Count++
		case vm.OpGetIndex:
			e.push(e.scope().Index)
		case vm.OpGetCount:
			e.push(e.scope().Count)
		case vm.OpGetLen:
			e.push(e.scope().Len)
		case vm.OpGetAcc:
			e.push(e.scope().Acc)
		case vm.OpSetAcc:
			e.scope().Acc = e.pop()
		case vm.OpSetIndex:
			e.scope().Index = e.pop().(int)
		case vm.OpPointer:
			e.push(e.scope().Item())

		case vm.OpAnd:
			a := e.pop()
			b := e.pop()
			e.push(a.(bool) && b.(bool))
		case vm.OpOr:
			a := e.pop()
			b := e.pop()
			e.push(a.(bool) || b.(bool))

		default:
			panic(fmt.Sprintf("operation %d is not available in guard expressions", op))
		}
	}
	if len(e.stack) > 0 {
		return e.pop(), nil
	}
	return nil, nil
}

// recovered turns a panic of an evaluation into its error, with the text
// expr-lang's VM gives it.
func (e *evalVM) recovered(r any) error {
	switch v := r.(type) {
	case evalHalt:
		if v == haltCancelled {
			return errEvalCancelled
		}
		return errEvalBudget
	case error:
		return v
	}
	return errors.New(fmt.Sprint(r))
}

// release drops what the evaluation referenced, so that a pooled VM does not
// keep a context alive.
func (e *evalVM) release() {
	clear(e.stack[:cap(e.stack)])
	e.stack = e.stack[:0]
	clear(e.vars)
	clear(e.scopes)
	e.scopes = e.scopes[:0]
	clear(e.callArgs)
	e.done = nil
}

func (e *evalVM) push(v any) { e.stack = append(e.stack, v) }

func (e *evalVM) pop() any {
	if len(e.stack) == 0 {
		panic("stack underflow")
	}
	v := e.stack[len(e.stack)-1]
	e.stack = e.stack[:len(e.stack)-1]
	return v
}

func (e *evalVM) current() any {
	if len(e.stack) == 0 {
		panic("stack underflow")
	}
	return e.stack[len(e.stack)-1]
}

func (e *evalVM) scope() *vm.Scope { return &e.scopes[len(e.scopes)-1] }

// begin1 opens the loop over a list (OpBegin).
func (e *evalVM) begin1(a any) {
	var s vm.Scope
	switch v := a.(type) {
	case []int:
		s.Ints, s.Len = v, len(v)
	case []float64:
		s.Floats, s.Len = v, len(v)
	case []string:
		s.Strings, s.Len = v, len(v)
	case []any:
		s.Anys, s.Len = v, len(v)
	default:
		s.Array = reflect.ValueOf(a)
		s.Len = s.Array.Len()
	}
	e.scopes = append(e.scopes, s)
}

// call runs a builtin function on the n values on top of the stack; it scans
// its arguments (min and max walk lists), so their size is charged.
func (e *evalVM) call(fn vm.Function, n int) {
	if n > len(e.stack) {
		panic("stack underflow")
	}
	e.callArgs = append(e.callArgs[:0], e.stack[len(e.stack)-n:]...)
	e.stack = e.stack[:len(e.stack)-n]
	for _, a := range e.callArgs {
		e.charge(walkCost(a, e.opsCap-e.ops+1) - 1)
	}
	out, err := fn(e.callArgs...)
	if err != nil {
		panic(err)
	}
	e.push(out)
}

// forward is a jump offset; expr-lang's VM refuses negative ones the same way.
func forward(arg int) int {
	if arg < 0 {
		panic("negative jump offset is invalid")
	}
	return arg
}

func stringTest(op vm.Opcode, a, b string) bool {
	switch op {
	case vm.OpContains:
		return strings.Contains(a, b)
	case vm.OpStartsWith:
		return strings.HasPrefix(a, b)
	}
	return strings.HasSuffix(a, b)
}

func cast(kind int, v any) any {
	switch kind {
	case 0:
		return runtime.ToInt(v)
	case 1:
		return runtime.ToInt64(v)
	case 2:
		return runtime.ToFloat64(v)
	case 3:
		return runtime.ToBool(v)
	}
	panic(fmt.Sprintf("unknown OpCast argument %v", kind))
}

// derefValue follows pointers and interfaces to the value (what expr-lang's
// OpDeref does), without reflection for the values a context holds.
func derefValue(p any) any {
	switch p.(type) {
	case nil:
		return nil
	case bool, string, int, int64, float64, map[string]any, []any, Context:
		return p
	}
	v := reflect.ValueOf(p)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.IsValid() {
		return v.Interface()
	}
	panic(fmt.Sprintf("cannot dereference %v", p))
}
