// Package observe gathers, in bulk, what the planner compares state with:
// output files on disk, pending keys, and certform's CSR objects in the
// cluster (one List by label, never one GET per certificate).
package observe
