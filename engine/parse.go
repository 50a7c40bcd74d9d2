package engine

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// parseText reads YAML or JSON text into a Definition and where its elements
// were written. The definition is nil when the text cannot be read at all
// (syntax error, wrong root, limits).
func parseText(data []byte, lim Limits, pl *problemList) (*Definition, *sourceMap) {
	if len(data) > lim.MaxTextBytes {
		pl.errorf(CodeLimitExceeded, path{}, srcPos{}, "the machine text is %d bytes; the limit is %d bytes", len(data), lim.MaxTextBytes)
		return nil, nil
	}
	if looksLikeJSON(data) {
		if p, ok := jsonSyntaxProblem(data); !ok {
			pl.put(p)
			return nil, nil
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		pl.put(yamlSyntaxProblem(data, err))
		return nil, nil
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			pl.errorf(CodeInvalidRoot, path{}, srcPos{}, "the document is empty; a machine needs at least `states:` and `transitions:`")
			return nil, nil
		}
		root = root.Content[0]
	}
	if root.Kind == 0 {
		pl.errorf(CodeInvalidRoot, path{}, srcPos{}, "the document is empty; a machine needs at least `states:` and `transitions:`")
		return nil, nil
	}
	if at, where, over := overExpanded(root, lim.MaxNodes); over {
		pl.put(Problem{Code: CodeLimitExceeded, Severity: SeverityError, Path: where, Line: at.Line, Column: at.Column,
			Message: fmt.Sprintf("the document expands to more than %d YAML nodes when its aliases are followed (an alias repeats a large block)", lim.MaxNodes)})
		return nil, nil
	}
	return parseNode(root, lim, pl)
}

// parseNode reads a node tree (parsed text, or built from a Go value by
// LoadMap) into a Definition and where its elements were written.
func parseNode(root *yaml.Node, lim Limits, pl *problemList) (*Definition, *sourceMap) {
	d := &decoder{pl: pl, lim: lim, src: &sourceMap{}}
	return d.definition(root), d.src
}
