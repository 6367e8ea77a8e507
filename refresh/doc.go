// Package refresh is the pipeline's observation stage (config → refresh →
// plan → apply; Terraform calls it refresh): Refresh gathers, in bulk,
// what the planner compares state with — output files on disk, pending
// keys, certform's CSR objects (one List by label, never one GET per
// certificate), and the ConfigMaps and Secrets it published — into a
// World. It imports config and state, never a later stage; the planner
// reads the World it returns.
package refresh
