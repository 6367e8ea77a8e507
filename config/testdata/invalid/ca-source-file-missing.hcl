ca_bundle "b" {
  source {  # ERROR: Cannot read CA file
    file = "missing.crt"
  }
}
