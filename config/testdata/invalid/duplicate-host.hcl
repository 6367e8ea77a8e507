certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example", "web.example"]  # ERROR: Duplicate host
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
