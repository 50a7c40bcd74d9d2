package engine

import (
	"strconv"
	"strings"
)

// path is the problem path of a node ("transitions[2].guards[0]"), kept as a
// chain of parts that live on the stack of the code walking the definition:
// its string is built only when a problem is reported, so that reading and
// checking a valid machine builds none. The zero path is the document root.
type path struct {
	up    *path
	key   string // a mapping key; "" in a part that is only an index
	i     int    // a list index under key, when index
	index bool
}

// pathOf is the path of a top-level key.
func pathOf(key string) path { return path{key: key} }

// itemOf is the path of the i-th item of the top-level list key ("states[3]"),
// one part, so that it needs no parent on the stack.
func itemOf(key string, i int32) path { return path{key: key, i: int(i), index: true} }

// field is the path of key under p.
func (p *path) field(key string) path { return path{up: p, key: key} }

// item is the path of the i-th item of the list at p.
func (p *path) item(i int) path { return path{up: p, i: i, index: true} }

// String joins the parts: keys with dots, indexes in brackets.
func (p *path) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

// write appends the path to b, outermost part first. It keeps no pointer to
// p, so paths stay on the stack of their walkers.
func (p *path) write(b *strings.Builder) {
	if p == nil {
		return
	}
	p.up.write(b)
	root := p.up == nil && p.key == "" && !p.index
	if !root && (p.key != "" || !p.index) {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.key)
	}
	if p.index {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.i))
		b.WriteByte(']')
	}
}

// lastSeg names the field of a path in a message: "strict_mode" for
// meta.strict_mode, "source[1]" for transitions[0].source[1].
func lastSeg(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		seg := path[i+1:]
		if path[i] == '[' {
			// "states[2]" -> "states[2]" item; name the list
			j := strings.LastIndexAny(path[:i], ".")
			return path[j+1:]
		}
		return seg
	}
	if path == "" {
		return "the document"
	}
	return path
}
