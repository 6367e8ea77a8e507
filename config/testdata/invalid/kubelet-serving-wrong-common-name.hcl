certificate "a" {
  common_name = "web"  # ERROR: Subject not allowed by signer
  hosts       = ["web.example"]
  subject { organization = ["system:nodes"] }
  signer_name = "kubernetes.io/kubelet-serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
