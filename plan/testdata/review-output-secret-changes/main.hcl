# An update a reviewer must judge: the key file becomes readable by its
# group, the certificate moves, a CSR and a chain file are added, and the
# Secret (a second home of the private key) moves to another namespace.
certificate "api" {
  common_name        = "api.example"
  hosts              = ["api.example"]
  signer_name        = "example.com/serving"
  expiration_seconds = 86400
  self_approve       = true
  renew_before       = "8h"
  output {
    key_file                 = "out/api.key"
    key_file_mode            = "0640"
    allow_world_readable_key = true
    cert_file                = "certs/api.crt"
    csr_file                 = "out/api.csr"
    chain_file               = "out/api-chain.pem"
  }
  secret {
    namespace = "team-b"
    name      = "api-tls"
  }
}
