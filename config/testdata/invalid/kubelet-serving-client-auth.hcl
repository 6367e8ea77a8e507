certificate "a" {
  common_name = "system:node:web"
  hosts       = ["web.example"]
  subject { organization = ["system:nodes"] }
  signer_name = "kubernetes.io/kubelet-serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
  usages = ["server auth", "client auth"]  # ERROR: Usages not allowed by signer
}
