certificate "api" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}

moved {
  from = certificate.web
  to   = certificate.api
}
