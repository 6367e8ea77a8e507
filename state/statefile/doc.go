// Package statefile is the versioned JSON wire format of a state: its own
// types, converted to and from the model in package state, so renaming a
// Go field never changes a file. Version 1 has no outputs; version 2 adds
// them and is written only for a state that holds outputs.
package statefile
