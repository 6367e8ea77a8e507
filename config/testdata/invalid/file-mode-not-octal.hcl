certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "a.key"
    cert_file = "a.crt"
    file_mode = "rw-r--r--"  # ERROR: Invalid file mode
  }
}
