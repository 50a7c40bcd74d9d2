// Package enginetest reads the conformance cases (machines with the answers the
// engine must give) and compares answers with them. Engine tests run them on
// the Go engine; API tests run the same files through HTTP.
package enginetest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is one conformance file: a machine, what validation says, and cases.
type File struct {
	Name     string
	Machine  string         `yaml:"machine"`
	Validate *ValidateSpec  `yaml:"validate"`
	Cases    []Case         `yaml:"cases"`
	Extra    map[string]any `yaml:",inline"`
}

// ValidateSpec is what validation must report.
type ValidateSpec struct {
	Valid    bool              `yaml:"valid"`
	Errors   []ExpectedProblem `yaml:"errors"`
	Warnings []ExpectedProblem `yaml:"warnings"`
}

// ExpectedProblem must be found among the problems: same code, and when given,
// the same line and a path equal to or continuing Path.
type ExpectedProblem struct {
	Code string `yaml:"code"`
	Path string `yaml:"path"`
	Line int    `yaml:"line"`
}

// Case is one process call and the expected answer (compared as a subset).
type Case struct {
	Name        string          `yaml:"name"`
	State       string          `yaml:"state"`
	Trigger     string          `yaml:"trigger"`
	Context     map[string]any  `yaml:"context"`
	Payload     map[string]any  `yaml:"payload"`
	GuardValues map[string]bool `yaml:"guard_values"`
	Expect      map[string]any  `yaml:"expect"`
}

// Load reads every *.yaml file of dir, sorted by name.
func Load(dir string) ([]File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no conformance files in %s", dir)
	}
	sort.Strings(paths)
	var out []File
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var f File
		if err := yaml.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		f.Name = strings.TrimSuffix(filepath.Base(p), ".yaml")
		out = append(out, f)
	}
	return out, nil
}

// Problem is the part of a reported problem the expectations look at.
type Problem struct {
	Code string `json:"code"`
	Path string `json:"path"`
	Line int    `json:"line"`
}

// FindProblem reports whether want is among got.
func FindProblem(want ExpectedProblem, got []Problem) bool {
	for _, p := range got {
		if p.Code != want.Code {
			continue
		}
		if want.Line != 0 && p.Line != want.Line {
			continue
		}
		if want.Path != "" && p.Path != want.Path && !strings.HasPrefix(p.Path, want.Path+".") && !strings.HasPrefix(p.Path, want.Path+"[") {
			continue
		}
		return true
	}
	return false
}

// View turns a process result (as its JSON object) into the flat view the
// expectations use: error_code, guard_name and available_triggers are added.
func View(resultJSON []byte) (map[string]any, error) {
	var v map[string]any
	if err := json.Unmarshal(resultJSON, &v); err != nil {
		return nil, err
	}
	if e, ok := v["error"].(map[string]any); ok {
		v["error_code"] = e["code"]
		if at, ok := e["available_triggers"]; ok {
			v["available_triggers"] = at
		}
	}
	if md, ok := v["metadata"].(map[string]any); ok {
		if g, ok := md["guard_name"]; ok {
			v["guard_name"] = g
		}
	}
	return v, nil
}

// Match compares want as a subset of got: maps compare only the keys written
// in want, lists compare in order and length, numbers compare by value.
func Match(want, got any) error { return match("", want, got) }

func match(path string, want, got any) error {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want an object %v, got %v", name(path), w, got)
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			gv, present := g[k]
			if !present && w[k] != nil {
				return fmt.Errorf("%s: missing, want %v", name(path+"."+k), w[k])
			}
			if err := match(path+"."+k, w[k], gv); err != nil {
				return err
			}
		}
		return nil
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Errorf("%s: want a list %v, got %v", name(path), w, got)
		}
		if len(g) != len(w) {
			return fmt.Errorf("%s: want %d items %v, got %d %v", name(path), len(w), w, len(g), g)
		}
		for i := range w {
			if err := match(fmt.Sprintf("%s[%d]", path, i), w[i], g[i]); err != nil {
				return err
			}
		}
		return nil
	case nil:
		if got != nil {
			return fmt.Errorf("%s: want null, got %v", name(path), got)
		}
		return nil
	}
	if wf, ok := number(want); ok {
		if gf, ok := number(got); ok && gf == wf {
			return nil
		}
		return fmt.Errorf("%s: want %v, got %v", name(path), want, got)
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("%s: want %v, got %v", name(path), want, got)
	}
	return nil
}

func name(path string) string {
	if path == "" {
		return "result"
	}
	return strings.TrimPrefix(path, ".")
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case uint64:
		return float64(n), true
	}
	return 0, false
}
