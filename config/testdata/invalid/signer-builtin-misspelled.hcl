certificate "a" {
  common_name = "system:node:a"
  hosts       = ["a.example"]
  subject { organization = ["system:nodes"] }
  signer_name = "kubernetes.io/kubelet-servng"  # ERROR: Unknown built-in signer
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}

certificate "b" {
  common_name = "b"
  signer_name = "kubernetes.io/my-signer"  # ERROR: Unknown built-in signer
  usages      = ["digital signature", "client auth"]
  output {
    key_file  = "out/b.key"
    cert_file = "out/b.crt"
  }
}
