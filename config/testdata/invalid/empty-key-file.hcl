certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  output {
    key_file  = ""  # ERROR: Empty output path
    cert_file = "out/a.crt"
  }
}
