certificate "a" {  # ERROR: Certificate names nothing
  signer_name = "example.com/s"
  output {
    key_file = "a.key"
    cert_file = "a.crt"
  }
}
