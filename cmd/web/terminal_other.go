//go:build !linux

package main

import "os"

// isTerminal is false where the echo cannot be turned off here: the
// password is read as a line of standard input (pipe it, or use
// --password-file).
func isTerminal(*os.File) bool { return false }

func readHidden(*os.File) (string, error) { return "", nil }
