package engine

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
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
	def, src := parseText(data, c.limits, pl)
	m, ps, err := build(def, src, pl, c)
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
	root, err := valueNode(doc, 0)
	if err != nil {
		pl.errorf(CodeInvalidRoot, path{}, srcPos{}, "the machine cannot be read: %v", err)
		return build(nil, nil, pl, c)
	}
	def, src := parseNode(root, c.limits, pl)
	return build(def, src, pl, c)
}

// maxValueDepth bounds the nesting LoadMap follows (a cyclic value never ends).
const maxValueDepth = 1000

// valueNode builds the YAML node tree of a Go value shaped like a decoded
// document (maps, slices, strings, numbers, booleans, nil). It does not use
// yaml.v3's Node.Encode, which goes through YAML text: that round trip loses
// strings it cannot read back (one starting with a line break) and turns
// strings that are not UTF-8 into base64.
func valueNode(v any, depth int) (*yaml.Node, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("the value is nested more than %d levels deep", maxValueDepth)
	}
	scalar := func(tag, value string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
	}
	switch t := v.(type) {
	case nil:
		return scalar("!!null", "null"), nil
	case json.Number:
		if _, err := t.Int64(); err == nil {
			return scalar("!!int", t.String()), nil
		}
		return scalar("!!float", t.String()), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return scalar("!!null", "null"), nil
		}
		return valueNode(rv.Elem().Interface(), depth+1)
	case reflect.String:
		return scalar("!!str", rv.String()), nil
	case reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(rv.Bool())), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalar("!!int", strconv.FormatInt(rv.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return scalar("!!int", strconv.FormatUint(rv.Uint(), 10)), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		switch {
		case math.IsNaN(f):
			return scalar("!!float", ".nan"), nil
		case math.IsInf(f, 1):
			return scalar("!!float", ".inf"), nil
		case math.IsInf(f, -1):
			return scalar("!!float", "-.inf"), nil
		}
		return scalar("!!float", strconv.FormatFloat(f, 'g', -1, 64)), nil
	case reflect.Slice, reflect.Array:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := 0; i < rv.Len(); i++ {
			c, err := valueNode(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case reflect.Map:
		keys := rv.MapKeys()
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = fmt.Sprint(k.Interface())
		}
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return names[order[a]] < names[order[b]] })
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, i := range order {
			c, err := valueNode(rv.MapIndex(keys[i]).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, scalar("!!str", names[i]), c)
		}
		return n, nil
	}
	return nil, fmt.Errorf("a %T cannot be part of a machine", v)
}

// Check validates a definition text without keeping the machine: the
// definition (possibly partial) and every problem. It is what the editor calls
// on every pause in typing.
func Check(data []byte, opts ...Option) (*Definition, Problems) {
	c := newLoadConfig(opts)
	pl := newProblemList()
	def, src := parseText(data, c.limits, pl)
	if def != nil {
		validate(def, src, pl, c.limits, c.guards)
	}
	return def, pl.sorted()
}

func build(def *Definition, src *sourceMap, pl *problemList, c *loadConfig) (*Machine, Problems, error) {
	if def == nil {
		ps := pl.sorted()
		return nil, ps, &ValidationError{Problems: ps}
	}
	md := validate(def, src, pl, c.limits, c.guards)
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
	var src *sourceMap
	if m.src != nil {
		// read the text again only to learn where the recomputed warnings go:
		// a machine keeps its text, which is smaller than its positions
		_, src = parseText(m.src, m.limits, newProblemList())
	}
	pl := newProblemList()
	md := validate(m.def, src, pl, m.limits, r)
	nm := compile(md, r)
	nm.warnings = pl.sorted()
	nm.src, nm.limits = m.src, m.limits
	return nm
}
