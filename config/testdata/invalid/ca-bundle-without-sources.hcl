ca_bundle "b" {  # ERROR: ca_bundle without sources
  configmap {
    namespaces = ["a"]
    name = "ca"
  }
}
