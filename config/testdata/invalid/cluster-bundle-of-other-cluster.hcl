kubernetes "eu" {
  context = "eu"
}

ca_bundle "ca" {
  source { file = "ca.crt" }
}

certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/signer"
  cluster     = kubernetes.eu
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
    ca_file   = "out/ca.crt"
    ca_bundle = ca_bundle.ca  # ERROR: CA bundle of another cluster
  }
}
