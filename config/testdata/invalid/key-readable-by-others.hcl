certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  output {
    key_file      = "a.key"
    cert_file     = "a.crt"
    key_file_mode = "0644"  # ERROR: Private key readable by others
  }
}
