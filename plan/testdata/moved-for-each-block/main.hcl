certificate "pod" {
  for_each = toset(["a", "b"])
  common_name = "${each.key}.example"
  hosts       = ["${each.key}.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "pod-${each.key}"
  }
}

moved {
  from = certificate.old
  to   = certificate.pod
}
