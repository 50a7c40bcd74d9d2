package templates

import (
	"bytes"
	"context"

	"github.com/a-h/templ"
)

// Render renders a component into memory, so that a failed render never
// sends half a page.
func Render(ctx context.Context, c templ.Component) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.Render(ctx, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
