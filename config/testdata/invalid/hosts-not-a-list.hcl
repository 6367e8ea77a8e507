certificate "a" {
  common_name = "web.example"
  hosts       = 42  # ERROR: Unsuitable value type
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
