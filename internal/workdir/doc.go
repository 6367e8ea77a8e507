// Package workdir resolves the relative paths of a run against the
// configuration directory.
//
// certform never changes the process's working directory: the working
// directory is process-wide state, so changing it would move every other
// goroutine's relative paths too (in-process runs side by side, tests,
// anything embedding certform). Instead a path is kept as it was written
// (in the configuration, in state, on the command line after --chdir) for
// everything that shows or records it, and is joined to the configuration
// directory, a Dir, only where a file is opened, written, listed or
// compared.
package workdir
