// Package local is the state backend that keeps a state in a file beside
// the configuration: written atomically with a .backup of the previous
// version, locked with a flock on a .lock file, and, while apply runs,
// appended to a journal (journal.go) instead of rewritten per change.
package local
