certificate "a" {
  common_name = timestamp()  # ERROR: Call to unknown function
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
