certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
    jks_file  = "out/a.jks"  # ERROR: Keystore without a password
  }
  secret {
    namespace = "default"
    name      = "a-tls"
    formats   = ["pkcs12", "combined_pem"]  # ERROR: Keystore without a password
  }
}
