package engine

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Option configures loading.
type Option func(*loadConfig)

type loadConfig struct {
	guards *GuardRegistry
	limits Limits
	lookup func(string) (string, bool)
}

// WithGuards resolves guard names against a registry of Go functions first
// (SPEC 3.3). The registry's contents are read at load time.
func WithGuards(r *GuardRegistry) Option { return func(c *loadConfig) { c.guards = r } }

// WithLimits replaces the default limits of SPEC 11.
func WithLimits(l Limits) Option { return func(c *loadConfig) { c.limits = l } }

// WithLookupEnv sets where LoadFile reads ${VAR} values (default os.LookupEnv).
func WithLookupEnv(fn func(string) (string, bool)) Option {
	return func(c *loadConfig) { c.lookup = fn }
}

func newLoadConfig(opts []Option) *loadConfig {
	c := &loadConfig{lookup: os.LookupEnv}
	for _, o := range opts {
		o(c)
	}
	c.limits = c.limits.withDefaults()
	if c.guards == nil {
		c.guards = NewGuardRegistry()
	}
	return c
}

// Load reads a machine from YAML or JSON text, validates it and compiles it.
// problems holds every error and warning with its path, line and column; err
// wraps ErrInvalidMachine (as *ValidationError) when there are errors, and the
// machine is nil then. Warnings never stop a load.
func Load(data []byte, opts ...Option) (m *Machine, problems Problems, err error) {
	c := newLoadConfig(opts)
	pl := newProblemList()
	def := parseText(data, c.limits, pl)
	m, ps, err := build(def, pl, c)
	if m != nil {
		m.src = data
	}
	return m, ps, err
}

// LoadFile reads a machine file, substituting ${VAR}, ${VAR:-default} and
// ${VAR:?message} from the environment before parsing.
func LoadFile(path string, opts ...Option) (*Machine, Problems, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("load machine: %w", err)
	}
	c := newLoadConfig(opts)
	text, err := SubstituteEnv(string(data), c.lookup)
	if err != nil {
		return nil, nil, fmt.Errorf("load machine %s: %w", path, err)
	}
	return Load([]byte(text), opts...)
}

// LoadMap reads a machine from a Go value shaped like the YAML document (for
// example a decoded JSON object). Problems carry paths but no line numbers.
func LoadMap(doc map[string]any, opts ...Option) (*Machine, Problems, error) {
	c := newLoadConfig(opts)
	pl := newProblemList()
	var root yaml.Node
	if err := root.Encode(doc); err != nil {
		pl.errorf(CodeInvalidRoot, "", "the machine cannot be read: %v", err)
		return build(nil, pl, c)
	}
	clearPositions(&root)
	def := parseNode(&root, c.limits, pl)
	return build(def, pl, c)
}

// clearPositions drops the positions yaml.v3 invents while encoding.
func clearPositions(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		clearPositions(c)
	}
}

// Check validates a definition text without keeping the machine: the
// definition (possibly partial) and every problem. It is what the editor calls
// on every pause in typing.
func Check(data []byte, opts ...Option) (*Definition, Problems) {
	c := newLoadConfig(opts)
	pl := newProblemList()
	def := parseText(data, c.limits, pl)
	if def != nil {
		validate(def, pl, c.limits, c.guards)
	}
	return def, pl.sorted()
}

func build(def *Definition, pl *problemList, c *loadConfig) (*Machine, Problems, error) {
	if def == nil {
		ps := pl.sorted()
		return nil, ps, &ValidationError{Problems: ps}
	}
	md := validate(def, pl, c.limits, c.guards)
	ps := pl.sorted()
	if ps.HasErrors() {
		return nil, ps, &ValidationError{Problems: ps}
	}
	m := compile(md, c.guards)
	m.warnings = ps
	m.limits = c.limits
	return m, ps, nil
}

var envRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}`)

// SubstituteEnv replaces ${VAR}, ${VAR:-default} and ${VAR:?message} using
// lookup. An unset ${VAR:?message} is an error; an unset ${VAR} is an error too,
// so that a typo never silently becomes an empty state name.
func SubstituteEnv(text string, lookup func(string) (string, bool)) (string, error) {
	var errs []string
	out := envRe.ReplaceAllStringFunc(text, func(match string) string {
		m := envRe.FindStringSubmatch(match)
		name, op, arg := m[1], m[2], m[3]
		v, ok := lookup(name)
		if ok && v != "" {
			return v
		}
		switch op {
		case ":-":
			return arg
		case ":?":
			msg := arg
			if msg == "" {
				msg = "is required"
			}
			errs = append(errs, fmt.Sprintf("${%s}: %s", name, msg))
		default:
			if ok {
				return v
			}
			errs = append(errs, fmt.Sprintf("${%s} is not set (write ${%s:-default} to allow that)", name, name))
		}
		return match
	})
	if len(errs) > 0 {
		return "", fmt.Errorf("environment substitution: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// WithGuards returns a copy of the machine whose named guards are resolved
// against r first (SPEC 3.3), with its warnings recomputed. The original
// machine is unchanged.
func (m *Machine) WithGuards(r *GuardRegistry) *Machine {
	if r == nil {
		r = NewGuardRegistry()
	}
	pl := newProblemList()
	if m.src != nil {
		// re-read the text only to place the recomputed warnings
		var doc yaml.Node
		if yaml.Unmarshal(m.src, &doc) == nil {
			pl.root = &doc
		}
	}
	md := validate(m.def, pl, m.limits, r)
	nm := compile(md, r)
	nm.warnings = pl.sorted()
	nm.src, nm.limits = m.src, m.limits
	return nm
}
