// Package migrations holds the SQL schema of Stator's store as numbered goose
// migrations, one folder per database dialect with the same version numbers,
// embedded so that the binary applies them at start.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql postgres/*.sql
var all embed.FS

// SQLite holds the NNNN_name.sql migrations of the SQLite dialect.
func SQLite() fs.FS { return dialect("sqlite") }

// Postgres holds the NNNN_name.sql migrations of the PostgreSQL dialect.
func Postgres() fs.FS { return dialect("postgres") }

func dialect(dir string) fs.FS {
	sub, err := fs.Sub(all, dir)
	if err != nil {
		panic(err) // the folders are embedded above
	}
	return sub
}
