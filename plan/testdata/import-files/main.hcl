certificate "legacy" {
  common_name = "legacy.example"
  hosts       = ["legacy.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/legacy.key"
    cert_file = "out/legacy.crt"
  }
}

import {
  to        = certificate.legacy
  key_file  = "hand-made/server-key.pem"
  cert_file = "hand-made/server.crt"
}
