backend "kubernetes" {
  namespace = "certform"
  name      = "prod"
}

certificate "with-secret" {
  common_name = "a.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
  secret {
    namespace = "default"
    name      = "a-tls"
  }
}

certificate "files-only" {  # WARNING: Private key kept only in local files with a shared backend
  for_each    = toset(["x", "y"])
  common_name = "${each.key}.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}
