# The bundle's source now holds only CA B, so CA A would leave the
# published ConfigMap; and certificate.web chains to
# CA A and to CA B (cross-signed), which stays: the guard lets the removal
# through, and there is no blocked.txt.
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
