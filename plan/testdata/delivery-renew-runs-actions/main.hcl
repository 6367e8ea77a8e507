variable "keystore_password" {
  type      = string
  default   = "changeit"
  sensitive = true
}

certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file            = "out/web.key"
    cert_file           = "out/web.crt"
    jks_file            = "out/web.jks"
    combined_pem_file   = "out/web-combined.pem"
  }
  secret {
    namespace   = "team-a"
    name        = "web-tls"
    formats     = ["pkcs12"]
    labels      = { "app.kubernetes.io/part-of" = "web" }
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
