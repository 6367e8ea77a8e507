# moved, removed and import blocks (docs/configuration.md).
certificate "api" {
  common_name = "api.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "api-tls"
  }
}

certificate "pods" {
  for_each    = toset(["a", "b"])
  common_name = "${each.key}.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}

certificate "hand" {
  for_each    = toset(["a", "b"])
  common_name = "hand-${each.key}.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "hand-${each.key}"
  }
}

moved {
  from = certificate.web
  to   = certificate.api
}

moved {
  from = certificate.old
  to   = certificate.pods
}

removed {
  from = certificate.legacy
  lifecycle {
    destroy = false
  }
}

import {
  to        = certificate.hand["a"]
  key_file  = "hand-made/a.key"
  cert_file = "hand-made/a.crt"
}

import {
  to = certificate.hand["b"]
  secret {
    namespace = "default"
    name      = "b-tls"
  }
}
