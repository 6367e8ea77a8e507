# The configuration the CI recipes (../github-actions.yml, ../gitlab-ci.yml)
# plan and apply. State and lock live in the cluster, so every runner,
# however fresh, sees the same state; the key's home is the Secret.
backend "kubernetes" {
  namespace = "certform"
  name      = "certs"
}

variable "team" {
  type        = string
  description = "the team the client certificate is for (set in prod.tfvars)"
}

certificate "api-client" {
  common_name        = "api-client"
  subject { organization = [var.team] }
  signer_name        = "kubernetes.io/kube-apiserver-client"
  usages             = ["digital signature", "client auth"]
  expiration_seconds = 86400
  self_approve       = true

  secret {
    namespace = "certform"
    name      = "api-client-tls"
  }
  output {
    key_file  = "out/api-client.key"
    cert_file = "out/api-client.crt"
  }
}
