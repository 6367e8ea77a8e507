# Policy over `certform plan --json` (docs/plan-json.md): no private key may
# be written to a Secret outside the namespaces below.
#
#   certform plan --json > plan.json
#   opa eval --fail-defined --format pretty \
#     --data examples/policy/secret-namespaces.rego --input plan.json \
#     'data.certform.policy.deny[msg]'
#
# --fail-defined exits non-zero when any deny message is produced, so a CI
# step fails before the plan is applied. Edit allowed_namespaces to yours.
package certform.policy

# The namespaces whose Secrets may hold private keys.
allowed_namespaces := {"team-a", "team-b"}

# The actions that write a certificate's key and certificate: everything but
# a no-op or a delete.
writes := {"create", "renew", "replace", "update", "wait"}

deny contains msg if {
	some change in input.changes
	change.action in writes
	some dest in change.after.private_key_destinations
	dest.kind == "secret"
	not dest.namespace in allowed_namespaces
	msg := sprintf("%s: the private key would be written to Secret %s/%s; private keys may only be written to Secrets in %v",
		[change.address, dest.namespace, dest.name, sort(allowed_namespaces)])
}
