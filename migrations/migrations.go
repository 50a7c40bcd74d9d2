// Package migrations holds the SQL schema of Stator's store as numbered goose
// migrations, one folder per database dialect with the same version numbers,
// embedded so that the binary applies them at start.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed sqlite/*.sql
var all embed.FS

// SQLite holds the NNNN_name.sql migrations of the SQLite dialect.
func SQLite() fs.FS {
	sub, err := fs.Sub(all, "sqlite")
	if err != nil {
		panic(err) // the folder is embedded above
	}
	return sub
}
