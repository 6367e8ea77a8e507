certificate "a" {
  common_name = file("nope.txt")  # ERROR: Invalid function argument
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
