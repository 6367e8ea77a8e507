variable "team" {
  type      = string
  default   = "night-owls"
  sensitive = true
}

variable "domain" {
  type    = string
  default = "example"
}

locals {
  # a local computed from a sensitive variable is sensitive too
  host = "${var.team}.${var.domain}"
}

certificate "web" {
  common_name = "web.${var.domain}"
  hosts       = [local.host, "web.${var.domain}"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
  }
  secret {
    namespace = "default"
    name      = "${var.team}-tls"
  }
}
