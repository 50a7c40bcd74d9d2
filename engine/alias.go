package engine

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// overExpanded measures the document as its aliases expand it, in document
// order, and returns the alias (with its path) at which it passes limit nodes.
// Expanded sizes of anchored nodes are memoised, so an alias bomb ("billion
// laughs") is refused in time linear in the text, before anything expands it,
// wherever it sits (even under a key the engine ignores).
func overExpanded(root *yaml.Node, limit int) (*yaml.Node, string, bool) {
	e := &expansion{limit: limit}
	at, segs := e.find(root)
	if at == nil {
		return nil, "", false
	}
	var b strings.Builder
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteString(segs[i])
	}
	return at, strings.TrimPrefix(b.String(), "."), true
}

type expansion struct {
	limit int
	total int
	memo  map[*yaml.Node]int
}

// find adds n's expanded size to the running total and returns the node where
// the total passes the limit, with the path segments to it, innermost first.
func (e *expansion) find(n *yaml.Node) (*yaml.Node, []string) {
	if n.Kind == yaml.AliasNode {
		e.total += e.size(n)
	} else {
		e.total++
	}
	if e.total > e.limit {
		return n, nil
	}
	if n.Kind == yaml.AliasNode {
		return nil, nil
	}
	for i, c := range n.Content {
		at, segs := e.find(c)
		if at == nil {
			continue
		}
		switch {
		case n.Kind == yaml.SequenceNode:
			segs = append(segs, "["+strconv.Itoa(i)+"]")
		case n.Kind == yaml.MappingNode && i%2 == 1:
			segs = append(segs, "."+n.Content[i-1].Value)
		}
		return at, segs
	}
	return nil, nil
}

// size is the expanded size of n, capped at limit+1. A node that contains an
// alias of itself never ends: it counts as over the limit.
func (e *expansion) size(n *yaml.Node) int {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 1
		}
		n = n.Alias
	}
	if n.Anchor != "" {
		if s, ok := e.memo[n]; ok {
			return s
		}
		if e.memo == nil {
			e.memo = map[*yaml.Node]int{}
		}
		e.memo[n] = e.limit + 1
	}
	s := 1
	for _, c := range n.Content {
		if s += e.size(c); s > e.limit {
			s = e.limit + 1
			break
		}
	}
	if n.Anchor != "" {
		e.memo[n] = s
	}
	return s
}
