package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/engine/yamledit"
	"github.com/statorhq/stator/store"
)

type editRequest struct {
	YAML *string         `json:"yaml"`
	Op   json.RawMessage `json:"op"`
}

// EditResponse is the answer of POST /api/v1/edit: the text after the edit.
type EditResponse struct {
	YAML string `json:"yaml"`
}

// Edit answers POST /api/v1/edit: one visual edit (SPEC 7.1) of a machine
// text, computed on its YAML node tree so that everything the edit does
// not touch stays as written. A refused edit is a 400 whose code says why
// (unknown_state, name_taken, parent_cycle...) and whose field names the
// op's field at fault; an edit that would make the machine invalid is a
// 400 listing the problems.
func Edit(c echo.Context) error {
	var req editRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.YAML == nil {
		return store.Errorf(store.EINVALID, "yaml is required: the machine text to edit")
	}
	op, err := decodeOp(req.Op)
	if err != nil {
		return err
	}
	out, err := yamledit.Apply(*req.YAML, op)
	if err != nil {
		return editError(err)
	}
	return writeJSON(c, http.StatusOK, EditResponse{YAML: out})
}

// decodeOp reads the op strictly: an object with known fields of the right
// types.
func decodeOp(raw json.RawMessage) (yamledit.Op, error) {
	var op yamledit.Op
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return op, store.Errorf(store.EINVALID, `op is required: the edit to make, such as {"kind": "add_state", "name": "review"}`)
	}
	if raw[0] != '{' {
		return op, store.Errorf(store.EINVALID, `op must be an object such as {"kind": "add_state", "name": "review"}, not %s`, clip(string(raw), 20))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&op)
	if err == nil {
		return op, nil
	}
	var te *json.UnmarshalTypeError
	var ye *yamledit.Error
	switch {
	case errors.As(err, &ye):
		return op, editError(err)
	case errors.As(err, &te) && te.Field != "":
		return op, store.Errorf(store.EINVALID, "op.%s must be %s, not %s", te.Field, goTypeName(te.Type), jsonKind(te.Value))
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) == nil {
		known := jsonFields(&op)
		for name := range members {
			if !slices.Contains(known, name) {
				return op, store.Errorf(store.EINVALID, "op has an unknown field %q; an op has kind and, by kind, some of: %s", name, strings.Join(known[1:], ", "))
			}
		}
	}
	return op, store.Errorf(store.EINVALID, "op cannot be read: send an object such as {\"kind\": \"add_state\", \"name\": \"review\"}")
}

// editError turns a refused edit into the error the error handler answers:
// the problems of an invalid machine as they are, a refusal as a 400 with
// its code and the op's field at fault.
func editError(err error) error {
	var e *yamledit.Error
	if !errors.As(err, &e) {
		return err // *yamledit.InvalidError unwraps to *engine.ValidationError
	}
	fields := map[string]any{}
	if e.Op != "" {
		fields["op"] = string(e.Op)
	}
	if e.Field != "" {
		fields["field"] = e.Field
	}
	return &store.Error{Code: store.EINVALID, Message: e.Message, Detail: e.Code(), Fields: fields, Err: err}
}
