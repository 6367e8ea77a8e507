// Package config turns a directory of certform HCL files into typed, validated
// desired state.
//
// Load reads every *.hcl file of a directory as one configuration, evaluates
// it and checks it. Every user mistake is an hcl.Diagnostic with the range of
// the offending block or attribute and a detail saying how to fix it; Load
// never stops at the first problem when it can go on. The package does no I/O
// beyond reading configuration files.
package config
