certificate "a" {
  common_name = each.key  # ERROR: Unknown variable
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
