certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  key {
    algorithm = "rsa"
    size      = 3072
  }
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
  }
}
