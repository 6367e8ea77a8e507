// Package formats encodes an issued certificate the ways applications read
// it besides PEM: PKCS#12 and JKS keystores (key, leaf and chain) and
// truststores (the CA bundle), one combined PEM (key then chain, as
// HAProxy reads it), and DER.
//
// Keystores carry random salts, so two encodings of the same content
// differ byte for byte. Holds opens an existing keystore with its password
// and compares what it holds with what would be written, so a caller keeps
// the old bytes when nothing changed and a plan shows no change on every
// run. Passwords and keys pass through in memory only; no function here
// returns them in an error.
package formats
