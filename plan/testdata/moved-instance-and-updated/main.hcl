certificate "x" {
  common_name = "x.example"
  hosts       = ["x.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "x-tls"
  }
}

moved {
  from = certificate.pod["x"]
  to   = certificate.x
}
