# Both certificates left the configuration. Deleting them removes what
# certform made, and says what it leaves: a key file edited by hand stays,
# an adopted Secret is only released, a garbage-collected CSR is gone.
certificate "kept" {
  common_name = "kept.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "team-a"
    name      = "kept-tls"
  }
}
