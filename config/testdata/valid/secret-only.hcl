# A certificate whose key lives only in a kubernetes.io/tls Secret: no
# files, so any runner that shares the state can plan and renew it.
backend "kubernetes" {
  namespace = "certform"
  name      = "prod"
}

certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}
