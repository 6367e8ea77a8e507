package main

import "strings"

// applySavedCommand is the command line that applies the plan saved to
// path, which is relative to the configuration directory: with the
// --chdir the plan was made with, or apply would look in the wrong place.
func applySavedCommand(chdir, path string) string {
	if chdir == "" {
		return "certform apply " + shellQuote(path)
	}
	return "certform --chdir " + shellQuote(chdir) + " apply " + shellQuote(path)
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that need no quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
