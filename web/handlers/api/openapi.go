package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed openapi.json
var openAPIDoc []byte

// OpenAPIDocument is the API's OpenAPI 3 document (the /docs page shows it).
func OpenAPIDocument() []byte { return openAPIDoc }

// OpenAPI answers GET /api/v1/openapi.json.
func OpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDoc)
}
