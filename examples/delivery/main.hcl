# A Java service and an HAProxy in front of it, fed from one certificate:
# keystores for the JVM (in the Secret, as cert-manager names them), a
# combined PEM for HAProxy on this machine, a label for the team's tooling,
# a rolling restart of the Deployment and a reload of HAProxy whenever the
# certificate is renewed (docs/configuration.md, "Delivering certificates").

variable "namespace" {
  type    = string
  default = "shop"
}

variable "keystore_password" {
  type      = string
  sensitive = true
  # set it with --var keystore_password=... or in a *.tfvars file kept out of git
  default = "change-me-please"
}

certificate "shop" {
  common_name = "shop.${var.namespace}.svc"
  hosts       = ["shop.${var.namespace}.svc", "shop.${var.namespace}.svc.cluster.local"]
  signer_name = "example.com/serving"
  usages      = ["digital signature", "key encipherment", "server auth"]

  output {
    key_file          = "out/shop.key"
    cert_file         = "out/shop.crt"
    combined_pem_file = "out/shop-haproxy.pem"
  }
  secret {
    namespace   = var.namespace
    name        = "shop-tls"
    formats     = ["pkcs12", "jks"]
    labels      = { "app.kubernetes.io/part-of" = "shop" }
    annotations = { "team.example.com/owner" = "payments" }
  }
  keystore {
    password = var.keystore_password
  }
  on_change {
    restart {
      kind = "Deployment"
      name = "shop"
    }
    command = ["systemctl", "reload", "haproxy"]
  }
}
