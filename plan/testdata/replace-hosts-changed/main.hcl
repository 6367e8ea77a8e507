certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example", "192.0.2.10"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
  }
}
