package web

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strings"

	"github.com/statorhq/stator/engine"
	"github.com/statorhq/stator/store"
)

// Example is a machine offered as a template and seeded into an empty store.
type Example struct {
	Name        string // file name without extension
	YAML        string
	Description string // meta.description
}

// Examples returns the embedded example machines, sorted by name.
func Examples() []Example {
	entries, _ := fs.ReadDir(examplesFS, "examples")
	var out []Example
	for _, e := range entries {
		b, err := fs.ReadFile(examplesFS, path.Join("examples", e.Name()))
		if err != nil {
			continue
		}
		ex := Example{Name: strings.TrimSuffix(e.Name(), ".yaml"), YAML: string(b)}
		if def, _ := engine.Check(b); def != nil {
			ex.Description = def.Meta.Description
		}
		out = append(out, ex)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// seeder is what seeding needs of the store.
type seeder interface {
	CountMachines(ctx context.Context) (int, error)
	CreateMachineAs(ctx context.Context, text, author string) (*store.Machine, error)
}

// seedExamples stores the examples when the store has no machine at all, so
// that the first screen is useful. Several servers starting together on an
// empty database each try; an example another one stored first is skipped.
func seedExamples(ctx context.Context, st seeder, log *slog.Logger) error {
	n, err := st.CountMachines(ctx)
	if err != nil || n > 0 {
		return err
	}
	for _, ex := range Examples() {
		if _, err := st.CreateMachineAs(ctx, ex.YAML, ""); errors.Is(err, store.ErrConflict) {
			continue
		} else if err != nil {
			return err
		}
		log.Info("seeded example machine", "name", ex.Name)
	}
	return nil
}
