package pages

import (
	"bytes"
	"context"
	"testing"

	"github.com/statorhq/stator/web/templates"
)

// BenchmarkAnalyzeFragment200 is the whole server side of the editor's
// round trip for a 200-state machine: validate, compile, draw and render
// the fragment with its JSON (the problems, the Mermaid text and, for the
// canvas, the machine's model). SPEC 10: at most 20 ms.
func BenchmarkAnalyzeFragment200(b *testing.B) {
	text := machine200()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := templates.Analysis(Analyze(text)).Render(context.Background(), &buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/fragment")
}
