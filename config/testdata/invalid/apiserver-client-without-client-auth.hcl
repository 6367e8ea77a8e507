certificate "a" {
  common_name = "web.example"
    signer_name = "kubernetes.io/kube-apiserver-client"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
  usages = ["digital signature"]  # ERROR: Usages not allowed by signer
}
