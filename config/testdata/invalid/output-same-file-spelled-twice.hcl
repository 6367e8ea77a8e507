certificate "a" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
    csr_file  = "out/./a.key"  # ERROR: Output paths collide
    ca_file   = "out/../out/a.crt"  # ERROR: Output paths collide
  }
}
certificate "b" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  output {
    key_file   = "out/b.key"
    cert_file  = "out/b.crt"
    chain_file = "./out/a.key"  # ERROR: Output path used twice
  }
}
