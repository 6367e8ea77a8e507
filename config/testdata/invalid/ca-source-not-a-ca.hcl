ca_bundle "b" {
  source {  # ERROR: Not a CA certificate
    file = "leaf.crt"
  }
}
