ca_bundle "b" {
  source { file = "ca.crt" }
  secret {  # ERROR: Invalid secret target
    namespaces         = ["a"]
    namespace_selector = "team=a"
    name               = "ca"
  }
}
