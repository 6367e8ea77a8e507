kubernetes "eu" {
  context = "eu"
}

certificate "a" {
  for_each    = toset(["eu", "us"])
  common_name = "web.example"
  signer_name = "example.com/signer"
  cluster     = kubernetes[each.key]  # ERROR: Unknown cluster
  secret {
    namespace = "default"
    name      = "a-tls"
  }
}
