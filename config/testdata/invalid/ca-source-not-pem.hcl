ca_bundle "b" {
  source {  # ERROR: Invalid CA certificate
    pem = "hello"
  }
}
