certificate "api" {
  common_name = "api.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/api.key"
    cert_file = "out/api.crt"
  }
}
