ca_bundle "b" {
  source {  # ERROR: Invalid CA source
    file = "ca.crt"
    pem  = file("ca.crt")
  }
}
