package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// maxDepth bounds the nesting of request JSON (SPEC 11: context depth ≤ 32,
// the engine's limit on nested values, plus the request's own envelope).
var maxDepth = engine.DefaultLimits().MaxDepth

// maxBodyDepth bounds the nesting of a whole request body, before anything
// is decoded: a value of maxDepth inside the deepest envelope, a share's
// trace (body, trace, steps, step; the store checks the trace itself).
// Contexts and payloads are then checked exactly (checkContext).
var maxBodyDepth = maxDepth + 1 + store.TraceEnvelope

// decodeJSON reads the request body into dst strictly: a JSON object, known
// fields only, values of the right types, nothing after it. Its errors say
// what to fix.
func decodeJSON(c echo.Context, dst any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
			return store.Errorf(store.EMEDIATYPE, "send the body as JSON with Content-Type: application/json, not %q", ct)
		}
	} else {
		// a body without a type is what a cross-site form or fetch sends to
		// avoid a CORS preflight (SPEC 12.1)
		return store.Errorf(store.EMEDIATYPE, "send the body as JSON with Content-Type: application/json")
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return err // the body limit: 413
		}
		return store.Errorf(store.EINVALID, "the request body could not be read: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return store.Errorf(store.EINVALID, "the request body is empty; send a JSON object")
	}
	if d := engine.JSONDepth(body); d > maxBodyDepth {
		return store.Errorf(store.EINVALID, "the JSON is nested %d levels deep; the limit is %d", d, maxDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		// an unknown member is found by comparing the body's members with
		// dst's fields (the decoder's error for it has no type to match)
		if uerr := unknownFields(body, dst); uerr != nil {
			return uerr
		}
		return jsonError(body, err)
	}
	if dec.More() {
		return store.Errorf(store.EINVALID, "unexpected data after the JSON object")
	}
	return nil
}

// unknownFields refuses a body object with a member dst does not have,
// naming the ones it has.
func unknownFields(body []byte, dst any) error {
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return nil // not an object: the decoder explains
	}
	known := jsonFields(dst)
	for name := range members {
		if !slices.Contains(known, name) {
			if len(known) == 0 {
				return store.Errorf(store.EINVALID, "unknown field %q; this endpoint takes no fields", name)
			}
			return store.Errorf(store.EINVALID, "unknown field %q; the fields are: %s", name, strings.Join(known, ", "))
		}
	}
	return nil
}

// jsonError explains a decoding error: where the syntax breaks, which field
// has the wrong type.
func jsonError(body []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(body, int(se.Offset))
		return store.Errorf(store.EINVALID, "malformed JSON at line %d, column %d: %s", line, col, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return store.Errorf(store.EINVALID, "malformed JSON: the body ends before the object is closed")
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return store.Errorf(store.EINVALID, "the body must be a JSON object, not %s", jsonKind(te.Value))
		}
		return store.Errorf(store.EINVALID, "%q must be %s, not %s", field, goTypeName(te.Type), jsonKind(te.Value))
	}
	return store.Errorf(store.EINVALID, "malformed JSON: %v", err)
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
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("json"), ",")[0]
		switch {
		case f.Anonymous && tag == "":
			out = append(out, jsonFields(reflect.New(f.Type).Interface())...)
		case tag != "" && tag != "-":
			out = append(out, tag)
		}
	}
	return out
}

func checkContext(name string, c engine.Context) error {
	if d := engine.ValueDepth(c); d > maxDepth {
		return store.Errorf(store.EINVALID, "%s is nested %d levels deep; the limit is %d", name, d, maxDepth)
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
