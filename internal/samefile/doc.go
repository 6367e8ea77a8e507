// Package samefile finds configured outputs that reach one file by
// different paths (a symbolic link to a directory, a bind mount, hard
// links) or reach one of certform's own files. Plan and apply both run it,
// so it belongs to neither stage.
package samefile
