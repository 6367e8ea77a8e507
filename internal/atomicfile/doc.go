// Package atomicfile writes files so that a reader sees either the old content
// or the new, never a mix, and so that a file's mode is right before the first
// byte of content exists.
//
// Write creates a temporary file beside the target with the requested mode
// (forced with fchmod, so the process umask cannot loosen or tighten it),
// writes, fsyncs, renames over the target and fsyncs the directory. A private
// key written with mode 0600 is therefore never readable by others, even for
// an instant, and a crash leaves at most a stray temporary file that the next
// Write to the same directory does not trip over.
package atomicfile
