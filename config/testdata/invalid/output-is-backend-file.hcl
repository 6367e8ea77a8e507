backend "local" {
  path = "st/prod.json"
}
certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "st/prod.json.backup"  # ERROR: Output is certform's own file
    cert_file = "st/../st/prod.json.lock"  # ERROR: Output is certform's own file
    csr_file  = "certform.state.json"
  }
}
