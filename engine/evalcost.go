package engine

import "reflect"

// What evalVM charges (SPEC 11): operations for the work an instruction does
// beyond itself, memory for the values it builds. Every charge is made before
// the work, so that no single instruction can run far past the budget.

// bytesPerOp is how many bytes of a string one operation scans.
const bytesPerOp = 16

// pollEvery is how many operations run between two looks at the caller.
const pollEvery = 1024

// Memory charged per value built, on top of what the elements hold.
const (
	sliceBytes    = 24 // a list's header
	elemBytes     = 16 // one element of a list of values
	intBytes      = 8  // one element of a range
	mapBytes      = 48 // a map's header
	mapEntryBytes = 64 // one key and value of a map, with its share of buckets
)

// poll looks at the caps and at the caller.
func (e *evalVM) poll() {
	if e.ops > e.opsCap {
		e.stop(haltBudget)
	}
	if e.done != nil {
		select {
		case <-e.done:
			e.stop(haltCancelled)
		default:
		}
	}
	e.check = min(e.opsCap, e.ops+pollEvery)
}

// stop ends the evaluation; run recovers it into its error.
func (e *evalVM) stop(h evalHalt) {
	e.halt = h
	panic(h)
}

// charge counts n operations before they run.
func (e *evalVM) charge(n int64) {
	if n <= 0 {
		return
	}
	if n > e.opsCap-e.ops {
		e.ops = e.opsCap + 1
		e.stop(haltBudget)
	}
	e.ops += n
	if e.ops > e.check {
		e.poll()
	}
}

// alloc counts n values of size bytes before they are built.
func (e *evalVM) alloc(n, size int64) {
	if n <= 0 || size <= 0 {
		return
	}
	if n > (e.memCap-e.mem)/size {
		e.mem = e.memCap + 1
		e.stop(haltBudget)
	}
	e.mem += n * size
}

// chargeString charges scanning a string (counting its characters, hashing
// it as a key).
func (e *evalVM) chargeString(a any) {
	if s, ok := a.(string); ok {
		e.charge(int64(len(s)) / bytesPerOp)
	}
}

// chargeStrings charges a comparison or search of two strings.
func (e *evalVM) chargeStrings(a, b any) {
	x, ok := a.(string)
	if !ok {
		return
	}
	if y, ok := b.(string); ok {
		e.charge(int64(len(x)+len(y)) / bytesPerOp)
	}
}

// chargeEqual charges a == b: strings by their bytes, lists and maps by what
// comparing them walks (at most the smaller of the two).
func (e *evalVM) chargeEqual(a, b any) {
	if _, ok := a.(string); ok {
		e.chargeStrings(a, b)
		return
	}
	if scalar(a) || scalar(b) {
		return
	}
	limit := e.opsCap - e.ops + 1
	wb := walkCost(b, limit)
	e.charge(walkCost(a, wb) - 1)
}

// chargeIn charges `x in list`, which compares x with each element, or
// `key in map`, which hashes the key.
func (e *evalVM) chargeIn(needle, haystack any) {
	switch haystack.(type) {
	case nil:
		return
	case map[string]any, Context:
		e.chargeString(needle)
		return
	}
	if reflect.ValueOf(haystack).Kind() == reflect.Map {
		e.chargeString(needle)
		return
	}
	e.charge(walkCost(haystack, e.opsCap-e.ops+1) - 1)
}

// chargeMatch charges a regular expression match: compiling the pattern and
// running it over the subject (at most their product of steps).
func (e *evalVM) chargeMatch(subject any, patternLen int) {
	n := 0
	switch s := subject.(type) {
	case string:
		n = len(s)
	case []byte:
		n = len(s)
	}
	e.charge(int64(patternLen) + (int64(n)+1)*(int64(patternLen)+1)/bytesPerOp)
}

// scalar reports a value that compares in constant time.
func scalar(v any) bool {
	switch v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return true
	}
	return false
}

// maxWalkDepth bounds how deep walkCost follows nested values (a Go value may
// even contain itself); deeper is charged as over the limit.
const maxWalkDepth = 10_000

// walkCost is the work of walking v, as == and `in` do: one per value and
// one per 16 bytes of a string or key. It stops once past limit, so its own
// work is bounded by the budget left.
func walkCost(v any, limit int64) int64 {
	w := walker{limit: limit}
	w.walk(v, 0)
	return w.n
}

type walker struct{ n, limit int64 }

func (w *walker) walk(v any, depth int) {
	w.n++
	if w.n > w.limit {
		return
	}
	if depth > maxWalkDepth {
		w.n = w.limit + 1
		return
	}
	switch t := v.(type) {
	case nil, bool, int, int64, float64:
	case string:
		w.n += int64(len(t)) / bytesPerOp
	case []any:
		for _, x := range t {
			if w.walk(x, depth+1); w.n > w.limit {
				return
			}
		}
	case map[string]any:
		w.walkMap(t, depth)
	case Context:
		w.walkMap(t, depth)
	case []int:
		w.n += int64(len(t))
	case []float64:
		w.n += int64(len(t))
	case []string:
		for _, s := range t {
			w.n += 1 + int64(len(s))/bytesPerOp
		}
	default:
		w.walkReflect(reflect.ValueOf(v), depth)
	}
}

func (w *walker) walkMap(m map[string]any, depth int) {
	for k, x := range m {
		w.n += int64(len(k)) / bytesPerOp
		if w.walk(x, depth+1); w.n > w.limit {
			return
		}
	}
}

func (w *walker) walkReflect(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.String:
		w.n += int64(v.Len()) / bytesPerOp
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len() && w.n <= w.limit; i++ {
			w.walkValue(v.Index(i), depth)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() && w.n <= w.limit {
			w.walkValue(it.Key(), depth)
			w.walkValue(it.Value(), depth)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			w.walkValue(v.Elem(), depth)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField() && w.n <= w.limit; i++ {
			w.walkValue(v.Field(i), depth)
		}
	}
}

// walkValue walks a reflected element; unexported fields are walked by
// reflection, since their values cannot be taken out.
func (w *walker) walkValue(v reflect.Value, depth int) {
	if v.CanInterface() {
		w.walk(v.Interface(), depth+1)
		return
	}
	w.n++
	if depth+1 > maxWalkDepth {
		w.n = w.limit + 1
		return
	}
	w.walkReflect(v, depth+1)
}
