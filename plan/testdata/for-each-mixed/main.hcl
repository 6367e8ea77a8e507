certificate "pod" {
  for_each    = toset(["a", "b", "c"])
  common_name = "${each.key}.pods.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}
