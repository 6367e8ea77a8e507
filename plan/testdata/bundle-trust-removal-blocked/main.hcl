# The bundle's source now holds only CA B, so CA A would leave the
# published ConfigMap; but certificate.web's certificate chains only to
# CA A: the trust-removal guard refuses the plan (blocked.txt) until web
# is reissued by B or the removal is allowed.
ca_bundle "service-ca" {
  source { file = "../cas/ca-b.pem" }
  configmap {
    namespaces = ["team-a"]
    name       = "service-ca"
    key        = "ca.crt"
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
  }
}
