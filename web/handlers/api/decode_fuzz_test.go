package api

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/statorhq/stator/store"
)

// FuzzDecodeJSON feeds arbitrary bodies to the API's strict JSON decoding:
// it never panics, and every refusal is a *store.Error with a 4xx code and a
// message (or the body limit's 413).
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"trigger": "go", "payload": {"n": 1}}`,
		`{"yaml": "states: []", "current_state": "a", "trigger": "t", "context": {"a": [1, {"b": null}]}, "guard_values": {"g": true}}`,
		`{"config": {"states": [{"name": "a"}]}}`,
		`{"trigger": 5}`, `[]`, `{`, ``, `{"a": 1} {}`, `{"payloda": {}}`, `"\u0000"`,
		`{"context": ` + string(bytes.Repeat([]byte(`{"a":`), 40)) + `1` + string(bytes.Repeat([]byte(`}`), 40)) + `}`,
	} {
		f.Add([]byte(seed))
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range []any{&processRequest{}, &eventRequest{}, &createEntityRequest{}, &renderRequest{}, &shareRequest{}} {
			req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			c := e.NewContext(req, httptest.NewRecorder())
			err := decodeJSON(c, dst)
			if err == nil {
				continue
			}
			var se *store.Error
			if !errors.As(err, &se) || (se.Code != store.EINVALID && se.Code != store.EMEDIATYPE) || se.Message == "" {
				t.Fatalf("body %q: error %v is not a refusal with a message", body, err)
			}
		}
	})
}
