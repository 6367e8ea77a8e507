//go:build tools

// Package tools pins the Open Policy Agent command that hack/build-opa.sh
// builds for the policy-as-code test over `certform plan --json`.
package tools

import _ "github.com/open-policy-agent/opa"
