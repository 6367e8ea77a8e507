certificate "a" {
  common_name = "system:node:web"
  hosts       = []  # ERROR: Signer needs hosts
  subject { organization = ["system:nodes"] }
  signer_name = "kubernetes.io/kubelet-serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
