certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  secret {
    namespace   = "default"
    name        = "a-tls"
    formats     = ["p12"]  # ERROR: Unknown Secret format
    labels      = { "certform.dev/lineage" = "x" }  # ERROR: Reserved label
    annotations = { "bad key!" = "x" }  # ERROR: Invalid annotation
  }
}
