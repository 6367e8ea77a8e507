# The CA bundle rotates: CA B joins, CA A leaves the published ConfigMap,
# a second namespace gets it for the first time, a Secret someone else
# made in team-c is adopted to hold it, and certificate.web's
# ca_file takes the bundle.
ca_bundle "service-ca" {
  source { file = "../cas/ca-b.pem" }
  configmap {
    namespaces = ["team-a", "team-b"]
    name       = "service-ca"
    key        = "ca.crt"
  }
  secret {
    namespaces = ["team-c"]
    name       = "service-ca"
    key        = "ca.crt"
    adopt      = true
  }
}

certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
    ca_file   = "out/ca.crt"
    ca_bundle = "ca_bundle.service-ca"
  }
}
