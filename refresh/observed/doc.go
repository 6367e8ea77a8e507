// Package observed holds what the refresh stage observed outside state —
// the World the planner compares state with. It is apart from refresh so
// that the planner can read it without linking a client library: refresh
// fills it from the cluster, plan only reads it.
package observed
