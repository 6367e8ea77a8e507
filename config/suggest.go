package config

// Suggest returns the candidate closest to name when it is close enough to
// be a likely typo, else "": for "did you mean" hints outside this package
// (addresses given to --target and --replace).
func Suggest(name string, candidates []string) string { return suggest(name, candidates) }
