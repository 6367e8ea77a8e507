certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
  }
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}

certificate "api" {
  common_name = "api.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/api.key"
    cert_file = "out/api.crt"
  }
  secret {
    namespace = "default"
    name      = "api-tls"
  }
}
