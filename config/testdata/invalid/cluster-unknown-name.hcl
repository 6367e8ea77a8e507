kubernetes "eu" {
  context = "eu"
}

certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/signer"
  cluster     = kubernetes.ue  # ERROR: Unknown cluster
  secret {
    namespace = "default"
    name      = "a-tls"
  }
}
