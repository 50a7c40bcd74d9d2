package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
)

// MaxJSONDepth bounds the nesting of request JSON (SPEC 11: context depth ≤ 32,
// plus the request's own envelope).
const MaxJSONDepth = 32

// decodeJSON reads the request body into dst strictly: a JSON object, known
// fields only, values of the right types, nothing after it. Its errors say
// what to fix.
func decodeJSON(c echo.Context, dst any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return newHTTPError(http.StatusUnsupportedMediaType, "send the body as JSON with Content-Type: application/json, not %q", ct)
		}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return err // the body limit: 413
		}
		return BadRequest("the request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return BadRequest("the request body is empty; send a JSON object")
	}
	if d := jsonDepth(body); d > MaxJSONDepth+2 {
		return BadRequest("the JSON is nested %d levels deep; the limit is %d", d, MaxJSONDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(body, err, dst)
	}
	if dec.More() {
		return BadRequest("unexpected data after the JSON object")
	}
	return nil
}

// jsonError explains a decoding error: where the syntax breaks, which field
// has the wrong type, which field is unknown.
func jsonError(body []byte, err error, dst any) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(body, int(se.Offset))
		return BadRequest("malformed JSON at line %d, column %d: %s", line, col, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("malformed JSON: the body ends before the object is closed")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return BadRequest("the body must be a JSON object, not %s", jsonKind(te.Value))
		}
		return BadRequest("%q must be %s, not %s", field, goTypeName(te.Type), jsonKind(te.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return BadRequest("unknown field %s; the fields are: %s", name, strings.Join(jsonFields(dst), ", "))
	}
	return BadRequest("malformed JSON: %v", err)
}

func lineCol(b []byte, off int) (int, int) {
	if off > len(b) {
		off = len(b)
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	return line, off - bytes.LastIndexByte(b[:off], '\n')
}

func jsonKind(v string) string {
	switch v {
	case "string":
		return "a string"
	case "number":
		return "a number"
	case "bool":
		return "true or false"
	case "array":
		return "an array"
	case "object":
		return "an object"
	}
	return v
}

func goTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice:
		if t == reflect.TypeOf(json.RawMessage{}) {
			return "an object"
		}
		return "an array"
	case reflect.Pointer:
		return goTypeName(t.Elem())
	}
	return t.String()
}

// jsonFields lists the JSON field names of a struct pointer, for messages.
func jsonFields(dst any) []string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// jsonDepth is the deepest nesting of objects and arrays in a JSON text.
func jsonDepth(b []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > deepest {
				deepest = depth
			}
		case '}', ']':
			depth--
		}
	}
	return deepest
}

// valueDepth is the nesting depth of a decoded context.
func valueDepth(v any) int {
	switch t := v.(type) {
	case map[string]any:
		d := 0
		for _, x := range t {
			d = max(d, valueDepth(x))
		}
		return d + 1
	case engine.Context:
		return valueDepth(map[string]any(t))
	case []any:
		d := 0
		for _, x := range t {
			d = max(d, valueDepth(x))
		}
		return d + 1
	}
	return 0
}

func checkContext(name string, c engine.Context) error {
	if d := valueDepth(c); d > MaxJSONDepth {
		return BadRequest("%s is nested %d levels deep; the limit is %d", name, d, MaxJSONDepth)
	}
	return nil
}

// writeJSON writes v as JSON with the status.
func writeJSON(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	return c.JSONBlob(status, b)
}

func jsonValid(b []byte) bool { return json.Valid(b) }
