certificate "a" {
  common_name = "system:node:web"
  hosts       = ["web.example"]  # ERROR: Host not allowed by signer
  subject { organization = ["system:nodes"] }
  signer_name = "kubernetes.io/kube-apiserver-client-kubelet"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
  usages = ["client auth"]
}
