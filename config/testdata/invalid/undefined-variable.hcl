certificate "a" {
  common_name = var.cn  # ERROR: Reference to undeclared input variable
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
