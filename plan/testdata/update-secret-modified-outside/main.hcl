# Someone edited the Secret certform wrote (its data no longer hashes to
# what state recorded), while key and certificate are still the recorded
# ones: the Secret is rewritten (update), nothing is reissued.
certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example"]
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}
