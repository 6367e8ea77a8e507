variable "keystore_password" {
  type      = string
  default   = "changeit"
  sensitive = true
}

certificate "web" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  output {
    key_file               = "out/web.key"
    cert_file              = "out/web.crt"
    ca_file                = "out/ca.crt"
    pkcs12_file            = "out/web.p12"
    pkcs12_truststore_file = "out/truststore.p12"
    jks_file               = "out/web.jks"
    jks_truststore_file    = "out/truststore.jks"
    combined_pem_file      = "out/web-combined.pem"
    der_file               = "out/web.der"
    der_key_file           = "out/web.key.der"
  }
  secret {
    namespace   = "default"
    name        = "web-tls"
    formats     = ["pkcs12", "jks", "combined_pem", "der"]
    labels      = { "app.kubernetes.io/part-of" = "web" }
    annotations = { "reloader.example/match" = "true" }
  }
  keystore {
    password = var.keystore_password
  }
  on_change {
    restart {
      kind = "Deployment"
      name = "web"
    }
    command = ["systemctl", "reload", "haproxy"]
  }
}

certificate "api" {
  common_name = "api.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "api-tls"
    formats   = ["jks"]
  }
  keystore {
    password_secret {
      namespace = "default"
      name      = "keystore-pass"
      key       = "password"
    }
  }
}
