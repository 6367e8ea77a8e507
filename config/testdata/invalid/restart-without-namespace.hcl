certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/a.key"
    cert_file = "out/a.crt"
  }
  on_change {
    restart {
      kind = "Deployment"
      name = "web"  # ERROR: Missing restart namespace
    }
  }
}
