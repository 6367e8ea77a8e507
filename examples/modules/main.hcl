# Two teams, one module: each team gets a serving certificate for its
# service, kept in a kubernetes.io/tls Secret in the team's namespace, with
# copies of the certificate and key under out/TEAM/. The module is a local
# directory (modules/service-cert); its certificate is addressed as
# module.team["team-a"].certificate.tls in plans, state and --target.
#
#   certform apply --chdir examples/modules
#   certform output --chdir examples/modules --json   # for the next CI step
#
# self_approve = true lets certform approve its own CSRs when RBAC allows
# (certform apply --var self_approve=true); otherwise a cluster admin
# approves them with kubectl certificate approve.

variable "self_approve" {
  type    = bool
  default = false
}

module "team" {
  for_each = {
    team-a = "web"
    team-b = "api"
  }
  source       = "./modules/service-cert"
  name         = each.value
  namespace    = each.key
  self_approve = var.self_approve
}

output "secrets" {
  description = "the Secret of each team's certificate, by team"
  value       = { for team, m in module.team : team => m.secret }
}

output "not_after" {
  description = "when each team's certificate expires (RFC 3339)"
  value       = { for team, m in module.team : team => m.not_after }
}

output "team_a_cert_file" {
  description = "where team-a's certificate was written"
  value       = module.team["team-a"].cert_file
}
