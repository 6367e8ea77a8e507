certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "secrets/web.key"
    cert_file = "out/web.crt"
  }
}
