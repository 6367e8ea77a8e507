ca_bundle "b" {
  source {
    file = "ca.crt"
  }
  configmap {  # ERROR: Invalid configmap target
    namespaces         = ["a"]
    namespace_selector = "team=a"
    name               = "ca"
  }
}
