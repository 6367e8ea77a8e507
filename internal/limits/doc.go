// Package limits bounds what certform reads from outside: every file,
// flag-named path and cluster object it reads goes through ReadFile or
// ReadAll with a size limit, so a hostile or mistaken input (a var file
// named /dev/zero, a gzip bomb in a state Secret) ends in an error rather
// than in all the machine's memory.
package limits
