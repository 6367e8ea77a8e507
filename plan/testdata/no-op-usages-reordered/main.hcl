certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  usages      = ["server auth", "key encipherment", "digital signature"]
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
  }
}
