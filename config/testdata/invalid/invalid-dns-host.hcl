certificate "a" {
  common_name = "web.example"
  hosts       = ["web_site.example"]  # ERROR: Invalid host
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
