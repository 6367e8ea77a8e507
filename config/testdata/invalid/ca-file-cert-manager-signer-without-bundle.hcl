certificate "a" {
  common_name = "a.example"
  hosts       = ["a.example"]
  signer_name = "clusterissuers.cert-manager.io/root-ca"
  usages      = ["digital signature", "server auth"]
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
    ca_file   = "out/ca.crt"  # ERROR: ca_file needs a ca_bundle
  }
}
