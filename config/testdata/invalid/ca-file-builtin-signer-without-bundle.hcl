certificate "a" {
  common_name = "a"
  signer_name = "kubernetes.io/kube-apiserver-client"
  usages      = ["digital signature", "client auth"]
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
    ca_file   = "out/ca.crt"  # ERROR: ca_file needs a ca_bundle
  }
}
