certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "kubernetes.io/legacy-unknown"  # ERROR: Signer not allowed
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
