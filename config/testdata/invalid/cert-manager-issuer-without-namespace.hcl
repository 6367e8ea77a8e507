certificate "a" {
  common_name = "a.example"
  hosts       = ["a.example"]
  signer_name = "issuers.cert-manager.io/team-ca"  # ERROR: Issuer signer name without a namespace
  usages      = ["digital signature", "server auth"]
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
}
