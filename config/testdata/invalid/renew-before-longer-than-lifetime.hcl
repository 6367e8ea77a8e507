certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
  expiration_seconds = 3600
  renew_before = "2h"  # ERROR: Renewal window too long
}
