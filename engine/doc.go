// Package engine is Stator's configuration-driven state machine engine.
//
// A machine is defined in YAML or JSON (pystator's format, see SPEC.md 1), loaded
// and validated in one pass that reports every problem with its path, line and
// column, then compiled into an immutable, concurrency-safe [Machine].
// [Machine.Process] answers pystator's process(state, trigger, context) contract:
// it is pure, never panics on bad input, and reports what happened in a [Result].
// A [Session] holds one entity's state, context, history and pending timers on an
// injected [Clock].
//
// The package imports nothing of Stator's: it depends on the standard library,
// gopkg.in/yaml.v3 and github.com/expr-lang/expr only.
package engine
