certificate "a" {
  common_name  = "web.example"
  signer_name  = "example.com/signer"
  renew_jitter = "80%"  # ERROR: Invalid renew_jitter
  secret {
    namespace = "default"
    name      = "a-tls"
  }
}
