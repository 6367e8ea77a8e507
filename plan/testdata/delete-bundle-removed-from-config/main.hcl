# The ca_bundle block is gone from the configuration: the ConfigMap it
# published (and only that; certificate.web stays) is deleted.
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
