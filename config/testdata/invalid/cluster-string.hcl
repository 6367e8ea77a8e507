kubernetes "eu" {
  context = "eu"
}

certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/signer"
  cluster     = "eu"  # ERROR: Invalid cluster reference
  secret {
    namespace = "default"
    name      = "a-tls"
  }
}
