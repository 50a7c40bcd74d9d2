package enginetest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// DiagramInput is the free text an adversarial diagram machine is built from:
// every string a user can put in a machine and a diagram may show or must
// ignore. FuzzMermaid fuzzes it; the browser test renders its committed seeds.
type DiagramInput struct {
	MachineName    string
	Description    string // meta.description
	StateName      string // lower-cased and reduced to [a-z0-9_] before use
	StateDesc      string
	GuardExpr      string // an inline guard expression, used as written
	Literal        string // put inside a string literal of a second guard
	ActionParam    string
	TransitionDesc string
	EventDesc      string
}

// DiagramMachine builds a machine document (for engine.LoadMap) with every
// shape the diagrams draw: a compound state named after in.StateName with
// children named <name>_start and <name>_end (the ids Mermaid derives for a
// composite's pseudo-states), a parallel state whose regions hold states
// named after Mermaid keywords and a compound state, timeouts, a delayed
// transition, terminal states at the top level and inside a compound state,
// and transitions into and out of composites, across regions and between a
// composite and its own children. The result may not load (a name can
// collide, an expression may not parse); callers skip those.
func DiagramMachine(in DiagramInput) map[string]any {
	n := DiagramStateName(in.StateName)
	guard := func(expr string) map[string]any { return map[string]any{"expr": expr} }
	return map[string]any{
		"meta": map[string]any{
			"machine_name": in.MachineName,
			"version":      "1.0.0",
			"description":  in.Description,
		},
		"state_variables": []any{map[string]any{"key": "x", "type": "string", "description": in.Description}},
		"events":          []any{map[string]any{"name": "go", "description": in.EventDesc}},
		"states": []any{
			map[string]any{"name": "idle", "type": "initial", "description": in.StateDesc,
				"timeout": map[string]any{"seconds": 2.5, "destination": "done"}},
			map[string]any{"name": n, "initial_child": n + "_start", "description": in.StateDesc},
			map[string]any{"name": n + "_start", "parent": n, "description": in.StateDesc},
			map[string]any{"name": n + "_end", "parent": n, "type": "terminal"},
			map[string]any{"name": "state", "type": "parallel", "regions": []any{
				map[string]any{"name": "left", "initial": "end", "states": []any{"end", "note"}},
				map[string]any{"name": "right", "initial": "direction", "states": []any{"direction", "click", "classdef"}},
			}},
			map[string]any{"name": "end", "parent": "state", "description": in.StateDesc},
			map[string]any{"name": "note", "parent": "state", "initial_child": "class"},
			map[string]any{"name": "class", "parent": "note"},
			map[string]any{"name": "style", "parent": "note"},
			map[string]any{"name": "direction", "parent": "state"},
			map[string]any{"name": "click", "parent": "state"},
			map[string]any{"name": "classdef", "parent": "state", "type": "terminal"},
			map[string]any{"name": "root_start"},
			map[string]any{"name": "done", "type": "terminal", "description": in.StateDesc},
		},
		"transitions": []any{
			map[string]any{"trigger": "go", "source": "idle", "dest": n,
				"guards":      []any{guard(in.GuardExpr), guard(`x == "` + exprString(in.Literal) + `"`), "named_guard"},
				"actions":     []any{"log", map[string]any{"name": "notify", "params": map[string]any{"p": in.ActionParam, in.ActionParam: in.Literal}}},
				"description": in.TransitionDesc},
			map[string]any{"trigger": "enter_par", "source": n + "_start", "dest": "state", "description": in.TransitionDesc},
			map[string]any{"trigger": "into_compound", "source": "end", "dest": "note"},
			map[string]any{"trigger": "deep", "source": "idle", "dest": "style"},
			map[string]any{"trigger": "cross", "source": "click", "dest": "note"},
			map[string]any{"trigger": "up", "source": "class", "dest": "note"},
			map[string]any{"trigger": "reset", "source": "note", "dest": "style"},
			map[string]any{"trigger": "again", "source": n, "dest": n},
			map[string]any{"trigger": "leave", "source": []any{"state", "root_start"}, "dest": "idle"},
			map[string]any{"trigger": "finish", "source": n, "dest": n + "_end"},
			map[string]any{"source": n + "_start", "dest": "root_start", "after": "90s"},
			map[string]any{"trigger": "stop", "source": "root_start", "dest": "done", "after": 1500},
			map[string]any{"trigger": "halt", "source": "direction", "dest": "classdef"},
		},
	}
}

// DiagramStateName reduces s to a state name: lower case, every other
// character than a-z, 0-9 and _ replaced by _, at most 40 characters, "x" when
// empty.
func DiagramStateName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// exprString escapes s for a double-quoted string literal of a guard
// expression.
func exprString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return r.Replace(s)
}

// DiagramSeed is one committed input of FuzzMermaid: the machine's free text
// and the diagram options as bits (1 guards, 2 actions, 4 descriptions; the
// direction is DiagramDirections[(bits>>3)%5]).
type DiagramSeed struct {
	Name  string // the corpus file
	Input DiagramInput
	Bits  int
}

// DiagramDirections are the directions a seed's bits choose from.
var DiagramDirections = [...]string{"", "LR", "TB", "RL", "BT"}

// DiagramArgs lists a seed in the order of FuzzMermaid's arguments: nine
// strings (the fields of DiagramInput in declaration order) and the bits.
func DiagramArgs(s DiagramSeed) []any {
	in := s.Input
	return []any{in.MachineName, in.Description, in.StateName, in.StateDesc, in.GuardExpr, in.Literal,
		in.ActionParam, in.TransitionDesc, in.EventDesc, s.Bits}
}

// ReadDiagramCorpus reads the committed FuzzMermaid corpus (files in Go's fuzz
// corpus format, "go test fuzz v1" then one Go literal per line).
func ReadDiagramCorpus(dir string) ([]DiagramSeed, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var out []DiagramSeed
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) != 11 || lines[0] != "go test fuzz v1" {
			return nil, fmt.Errorf("%s: not a FuzzMermaid corpus file (want the header and ten values)", p)
		}
		var strs [9]string
		for i := range strs {
			lit, ok := strings.CutPrefix(lines[1+i], "string(")
			if !ok || !strings.HasSuffix(lit, ")") {
				return nil, fmt.Errorf("%s:%d: want string(...)", p, i+2)
			}
			if strs[i], err = strconv.Unquote(strings.TrimSuffix(lit, ")")); err != nil {
				return nil, fmt.Errorf("%s:%d: %v", p, i+2, err)
			}
		}
		lit, ok := strings.CutPrefix(lines[10], "int(")
		if !ok || !strings.HasSuffix(lit, ")") {
			return nil, fmt.Errorf("%s:11: want int(...)", p)
		}
		bits, err := strconv.Atoi(strings.TrimSuffix(lit, ")"))
		if err != nil {
			return nil, fmt.Errorf("%s:11: %v", p, err)
		}
		out = append(out, DiagramSeed{Name: filepath.Base(p), Bits: bits, Input: DiagramInput{
			MachineName: strs[0], Description: strs[1], StateName: strs[2], StateDesc: strs[3], GuardExpr: strs[4],
			Literal: strs[5], ActionParam: strs[6], TransitionDesc: strs[7], EventDesc: strs[8],
		}})
	}
	return out, nil
}
