certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
    ca_file   = "out/ca.crt"
    ca_bundle = "ca_bundle.nope"  # ERROR: Unknown CA bundle
  }
}
