certificate "a" {
  common_name = "system:node:web"
  hosts       = ["web.example"]
  subject { organization = ["nodes"] }  # ERROR: Subject not allowed by signer
  signer_name = "kubernetes.io/kubelet-serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
