// Package yamledit changes machine text (YAML or JSON) the way a person
// would: only what must change is rewritten, so comments, key order, quoting
// and flow or block style of everything else stay as written. Apply makes
// the visual edits of the diagram (SPEC 7.1); RenameMachine sets the
// machine's name.
package yamledit

import (
	"bytes"
	"encoding/json"
	"strings"

	"gopkg.in/yaml.v3"
)

// RenameMachine sets meta.machine_name in machine text, changing only that
// value so that the rest of the text (comments, layout) stays as written. It
// handles block and flow (JSON) mappings and adds the key when it is missing.
func RenameMachine(text, name string) string {
	quoted := Quote(name)
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return "meta:\n  machine_name: " + quoted + "\n" + text
	}
	root := doc.Content[0]
	meta := mappingValue(root, "meta")
	if meta == nil {
		if root.Style&yaml.FlowStyle != 0 {
			return insertAt(text, root.Line, root.Column, `"meta": {"machine_name": `+quoted+`}, `, true)
		}
		return "meta:\n  machine_name: " + quoted + "\n" + text
	}
	if meta.Kind != yaml.MappingNode {
		return text
	}
	if v := mappingValue(meta, "machine_name"); v != nil {
		switch v.Kind {
		case yaml.ScalarNode:
			return replaceScalar(text, v, quoted)
		case yaml.AliasNode:
			// `machine_name: *name`: the alias is replaced, the anchor kept
			return replaceAlias(text, v, quoted)
		}
		return text
	}
	if meta.Style&yaml.FlowStyle != 0 {
		sep := ", "
		if len(meta.Content) == 0 {
			sep = ""
		}
		key := "machine_name: "
		if strings.HasPrefix(strings.TrimSpace(text), "{") {
			key = `"machine_name": `
		}
		return insertAt(text, meta.Line, meta.Column, key+quoted+sep, true)
	}
	// block mapping: a new first line at the indentation of its keys
	first := meta.Content[0]
	indent := strings.Repeat(" ", first.Column-1)
	return insertLine(text, first.Line, indent+"machine_name: "+quoted)
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Quote writes s as a double-quoted scalar (JSON escapes are valid YAML).
func Quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// offset converts a 1-based line and column (in runes) to a byte offset.
func offset(text string, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return len(text)
		}
		off += i + 1
	}
	for c := 1; c < col && off < len(text); c++ {
		_, size := decodeRune(text[off:])
		off += size
	}
	return off
}

func decodeRune(s string) (rune, int) {
	for i, r := range s {
		if i == 0 {
			return r, len(string(r))
		}
	}
	return 0, 1
}

// insertAt inserts s at a position; after=true inserts after the character
// there (the opening brace of a flow mapping).
func insertAt(text string, line, col int, s string, after bool) string {
	off := offset(text, line, col)
	if after && off < len(text) {
		off++
	}
	return text[:off] + s + text[off:]
}

// insertLine inserts a whole line before the given line.
func insertLine(text string, line int, s string) string {
	off := offset(text, line, 1)
	return text[:off] + s + "\n" + text[off:]
}

// replaceAlias replaces an alias (`*name`) written at n's position.
func replaceAlias(text string, n *yaml.Node, with string) string {
	start := offset(text, n.Line, n.Column)
	tok := "*" + n.Value
	if !strings.HasPrefix(text[start:], tok) {
		return text
	}
	return text[:start] + with + text[start+len(tok):]
}

// replaceScalar replaces the scalar written at n's position.
func replaceScalar(text string, n *yaml.Node, with string) string {
	start := offset(text, n.Line, n.Column)
	end := start
	rest := text[start:]
	switch n.Style {
	case yaml.DoubleQuotedStyle:
		end = start + 1
		for end < len(text) && text[end] != '"' {
			if text[end] == '\\' {
				end++
			}
			end++
		}
		end++
	case yaml.SingleQuotedStyle:
		end = start + 1
		for end < len(text) {
			if text[end] == '\'' {
				if end+1 < len(text) && text[end+1] == '\'' {
					end += 2
					continue
				}
				break
			}
			end++
		}
		end++
	default:
		if !strings.HasPrefix(rest, n.Value) {
			return text // a multi-line or block scalar: leave it
		}
		end = start + len(n.Value)
	}
	if end > len(text) {
		return text
	}
	return text[:start] + with + text[end:]
}
