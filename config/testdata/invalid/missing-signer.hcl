certificate "a" {  # ERROR: Missing required argument
  common_name = "x"
  output {
    key_file = "a.key"
    cert_file = "a.crt"
  }
}
