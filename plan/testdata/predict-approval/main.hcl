certificate "api" {
  common_name = "api"
  hosts       = ["api.team-a.svc"]
  signer_name = "example.com/serving"
  usages      = ["digital signature", "server auth"]
  output {
    key_file  = "out/api.key"
    cert_file = "out/api.crt"
  }
}

certificate "billing" {
  common_name = "billing"
  hosts       = ["billing.team-b.svc"]
  signer_name = "example.com/serving"
  usages      = ["digital signature", "server auth"]
  output {
    key_file  = "out/billing.key"
    cert_file = "out/billing.crt"
  }
}

certificate "ops" {
  common_name  = "ops"
  hosts        = ["ops.team-b.svc"]
  signer_name  = "example.com/serving"
  self_approve = true
  output {
    key_file  = "out/ops.key"
    cert_file = "out/ops.crt"
  }
}
