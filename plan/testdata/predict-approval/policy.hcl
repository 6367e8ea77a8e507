policy "fleet" {
  signer_names = ["example.com/serving"]
  requesters { service_accounts = ["*:*"] }
  allowed {
    dns_names      = ["*.${requester.namespace}.svc"]
    common_names   = ["${requester.service_account}", "*"]
    usages         = ["digital signature", "server auth"]
    key_algorithms = ["ecdsa"]
  }
}
