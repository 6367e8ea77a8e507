certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}

import {
  to = certificate.web
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}
