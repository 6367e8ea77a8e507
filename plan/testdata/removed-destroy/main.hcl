certificate "api" {
  common_name = "api.example"
  hosts       = ["api.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "api-tls"
  }
}

removed {
  from = certificate.web
  lifecycle {
    destroy = true
  }
}
