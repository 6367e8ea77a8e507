certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "a-tls"
  }
  on_change {
    restart {
      kind = "Pod"  # ERROR: Unknown workload kind
      name = "web"
    }
    command = ["reload"]  # ERROR: Command without files
  }
}
