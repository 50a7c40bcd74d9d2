package engine

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

func looksLikeJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) > 0 && t[0] == '{' {
		// a JSON object starts with a quoted key; `{states: [...]}` is a
		// YAML flow mapping, read as YAML
		k := bytes.TrimLeft(t[1:], " \t\r\n")
		return len(k) == 0 || k[0] == '"' || k[0] == '}'
	}
	return len(t) > 0 && t[0] == '['
}

// jsonSyntaxProblem checks JSON text with encoding/json, whose errors carry a byte
// offset that converts to an exact line and column.
func jsonSyntaxProblem(data []byte) (Problem, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
			line, col := lineCol(data, len(data)-len(rest))
			return Problem{Code: CodeSyntaxError, Severity: SeverityError, Message: "unexpected text after the JSON document", Line: line, Column: col}, false
		}
		return Problem{}, true
	}
	var se *json.SyntaxError
	off := len(bytes.TrimRight(data, " \t\r\n")) // unexpected end: just after the last character
	msg := err.Error()
	if ok := asSyntax(err, &se); ok {
		// Offset counts the offending byte itself; point at it, not after it.
		off = int(se.Offset) - 1
		msg = se.Error()
	}
	if msg == "unexpected EOF" {
		msg = "unexpected end of JSON input: a bracket or quote is not closed"
	}
	line, col := lineCol(data, off)
	return Problem{Code: CodeSyntaxError, Severity: SeverityError, Message: "invalid JSON: " + msg, Line: line, Column: col}, false
}

func asSyntax(err error, target **json.SyntaxError) bool {
	se, ok := err.(*json.SyntaxError)
	if ok {
		*target = se
	}
	return ok
}

// lineCol converts a byte offset to a 1-based line and column (in runes).
func lineCol(data []byte, off int) (int, int) {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return line, 1 + len([]rune(string(data[start:off])))
}

var yamlLineRe = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: `)

// yamlSyntaxProblem turns a yaml.v3 error ("yaml: line 3: mapping values are not
// allowed in this context") into a problem with the line it names.
func yamlSyntaxProblem(data []byte, err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := Problem{Code: CodeSyntaxError, Severity: SeverityError, Message: "invalid YAML: " + msg}
	if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			p.Column, _ = strconv.Atoi(m[2])
		}
		p.Message = "invalid YAML: " + strings.Replace(msg, m[0], "", 1)
		if yamlParserError(p.Message) {
			p.Line++ // yaml.v3 reports a parser error's line 0-based
		}
	} else if m := yamlAnchorRe.FindStringSubmatch(msg); m != nil {
		// the alias is the first "*name" not followed by more name characters
		for i := 0; i >= 0 && i < len(data); {
			j := bytes.Index(data[i:], []byte("*"+m[1]))
			if j < 0 {
				break
			}
			i += j
			if end := i + 1 + len(m[1]); end == len(data) || !isAnchorChar(data[end]) {
				p.Line, p.Column = lineCol(data, i)
				break
			}
			i++
		}
	} else if off := firstBadRune(data); off >= 0 {
		// a reader error (bad UTF-8, control character) has no line
		p.Line, p.Column = lineCol(data, off)
	} else {
		// yaml.v3 leaves the line out when the error is on the first line
		p.Line = 1
	}
	if end := bytes.TrimRight(data, " \t\r\n"); p.Line > 1+bytes.Count(end, []byte{'\n'}) {
		// found at the end of the stream: point just after the last character
		p.Line, p.Column = lineCol(data, len(end))
	}
	if p.Line > 0 && p.Column == 0 {
		p.Column = firstColumn(data, p.Line)
	}
	if strings.Contains(msg, "found character that cannot start any token") && bytes.Contains(data, []byte("\t")) {
		p.Message += " (YAML does not allow tabs for indentation; use spaces)"
	}
	return p
}

var yamlAnchorRe = regexp.MustCompile(`^unknown anchor '([^']*)' referenced`)

// firstBadRune is the offset of the first byte YAML cannot read (invalid UTF-8
// or a control character), or -1.
func firstBadRune(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		bad := r == utf8.RuneError && n == 1 ||
			r < 0x20 && r != '\t' && r != '\n' && r != '\r' ||
			r >= 0x7f && r <= 0x9f && r != 0x85 || r == 0xfffe || r == 0xffff
		if bad {
			return i
		}
		i += n
	}
	return -1
}

func isAnchorChar(c byte) bool {
	return c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ',' && c != ']' && c != '}'
}

// yamlParserError reports whether a yaml.v3 message comes from its parser
// (as opposed to its scanner): the parser numbers lines from 0.
func yamlParserError(msg string) bool {
	for _, p := range []string{"did not find expected ',' or", "did not find expected '-' indicator",
		"did not find expected <", "did not find expected key", "did not find expected node content",
		"found duplicate %", "found incompatible YAML document", "found undefined tag handle"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// firstColumn is the column of the first non-blank character on a line.
func firstColumn(data []byte, line int) int {
	lines := bytes.Split(data, []byte{'\n'})
	if line < 1 || line > len(lines) {
		return 1
	}
	l := lines[line-1]
	return 1 + len(l) - len(bytes.TrimLeft(l, " \t"))
}
