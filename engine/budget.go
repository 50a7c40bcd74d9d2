package engine

// Work per request is bounded (SPEC 11): what guard expressions may spend, and
// how much of it a result's guard_trace shows. The defaults live here, beside
// DefaultLimits (which bounds what a definition may contain).

// GuardBudget bounds the work of guard expressions. Operations count the
// instructions an expression runs, the context values it reads, and the
// elements and bytes it scans (one operation per element, one per 16 bytes of
// a string compared or searched). Memory counts the bytes of every value an
// expression builds: strings joined with +, lists, maps and ranges. A zero
// field means its default (DefaultGuardBudget).
type GuardBudget struct {
	// EvalOps and EvalMemory bound one evaluation of one guard expression;
	// past either, the guard fails with the reason "evaluation budget
	// exceeded" and the next candidate is tried.
	EvalOps    int64
	EvalMemory int64
	// TotalOps and TotalMemory bound all guard evaluations of one process
	// call together; past either, the call fails with the code
	// guard_budget_exceeded.
	TotalOps    int64
	TotalMemory int64
}

// DefaultGuardBudget is sized so that real guards never come near it (a
// membership test in a list of 100,000 items, the sum of 100,000 numbers, a few
// strings joined): about 10 ms of work per evaluation and 40 ms per process
// call at most.
func DefaultGuardBudget() GuardBudget {
	return GuardBudget{
		EvalOps:     1_000_000,
		EvalMemory:  4 << 20,
		TotalOps:    4_000_000,
		TotalMemory: 16 << 20,
	}
}

func (b GuardBudget) withDefaults() GuardBudget {
	d := DefaultGuardBudget()
	if b.EvalOps > 0 {
		d.EvalOps = b.EvalOps
	}
	if b.EvalMemory > 0 {
		d.EvalMemory = b.EvalMemory
	}
	if b.TotalOps > 0 {
		d.TotalOps = b.TotalOps
	}
	if b.TotalMemory > 0 {
		d.TotalMemory = b.TotalMemory
	}
	return d
}

// What guard_trace shows (SPEC 11): a response never grows with the size of
// the context or the number of candidates.
const (
	// MaxTraceValueChars is how many characters of each operand value
	// guard_trace keeps; a longer value is cut and marked
	// "…(cut, N chars)" (a list or an object: its JSON text).
	MaxTraceValueChars = 256
	// MaxTracedCandidates is how many candidate transitions guard_trace
	// lists; metadata.guard_trace_skipped counts the others.
	MaxTracedCandidates = 64
	// maxTraceChecks and maxTraceValues bound the guard checks and the
	// operand values of one trace, whatever the number of guards per
	// transition: a candidate that does not fit is skipped whole.
	maxTraceChecks = 1024
	maxTraceValues = 1024
)

// guardMeter is what one process call has spent on guard expressions.
type guardMeter struct {
	budget   GuardBudget // with defaults; zero until the first expression guard
	ops, mem int64
}

// caps are the limits of the next evaluation: its own budget, or what is
// left of the call's, whichever is smaller.
func (g *guardMeter) caps() (ops, mem int64) {
	return min(g.budget.EvalOps, g.budget.TotalOps-g.ops), min(g.budget.EvalMemory, g.budget.TotalMemory-g.mem)
}

// spend adds an evaluation's cost and reports whether the call's budget is
// now exceeded. An evaluation that went past its caps reports one unit more
// than the cap, so that exceeding the call's remainder exceeds the call.
func (g *guardMeter) spend(ops, mem int64) (over bool) {
	g.ops += ops
	g.mem += mem
	return g.ops > g.budget.TotalOps || g.mem > g.budget.TotalMemory
}
