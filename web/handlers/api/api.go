// Package api holds the JSON API's handlers (SPEC 6), one file per
// resource. They read and check requests, call the engine or the store, and
// write JSON; errors are returned to the web package's one error handler.
package api
