// Package migrations holds the SQL schema of Stator's store as numbered goose
// migrations, embedded so that the binary applies them at start.
package migrations

import "embed"

// FS holds the NNNN_name.sql migration files.
//
//go:embed *.sql
var FS embed.FS
