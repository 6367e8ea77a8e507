certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "certform.state.json"  # ERROR: Output is certform's own file
    csr_file  = "./certform.state.json.journal"  # ERROR: Output is certform's own file
    ca_file   = ".certform/pending-keys/a.pem"  # ERROR: Output is certform's own file
  }
}
