// Package fileindex remembers which file contents certform already hashed,
// keyed by the file's stat fingerprint, as git's index does: a plan of
// thousands of certificates then stats each output file (one system call)
// instead of opening, reading and hashing it (four, plus SHA-256).
//
// An entry maps a clean absolute path to the fingerprint the file had when
// it was hashed (device, inode, size, mtime and ctime in nanoseconds, and
// mode) and the hex SHA-256 of its content, the hash state records. It
// never holds a file's content; the hashes of key files are in state
// already, so the index tells a reader nothing new, and it is written
// 0600 all the same.
//
// # What a lookup trusts
//
// A lookup stats the path (following symbolic links, as opening it would)
// and answers from the entry only when all six fields match; anything
// else hashes the file again, with the fingerprint taken by fstat before
// the read, so that a change during the read misses next time. Every
// change to a file's content moves its ctime, which no unprivileged
// process can set, and Save leaves out the entries too new for their
// ctime to be told from a later one's (Margin, git's "racily clean"
// rule). What the index cannot see is a change that keeps device, inode,
// size, mtime and ctime: that needs root (writing the disk under the
// filesystem, debugfs, or setting the system clock back), which could as
// well rewrite state. Removing the index file makes the next run hash
// every file: the way to force a full check.
//
// # Concurrency and persistence
//
// One Index serves every refresh of a run, the clusters of a fleet at
// once: it is safe for concurrent use. Load never fails a run: a missing,
// unreadable, oversized, malformed or foreign-version index is an empty
// one (every file hashed), and Save is the caller's to treat as
// best-effort. Two runs saving at once each write a whole index, and the
// last rename wins: the other's new entries are hashed again next time.
package fileindex
