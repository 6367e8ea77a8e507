certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "serving"  # ERROR: Invalid signer name
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
