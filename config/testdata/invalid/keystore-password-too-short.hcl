variable "pass" {
  type      = string
  default   = "abc"
  sensitive = true
}

certificate "a" {
  common_name = "web.example"
  signer_name = "example.com/serving"
  secret {
    namespace = "default"
    name      = "a-tls"
    formats   = ["jks"]
  }
  keystore {
    password = var.pass  # ERROR: Keystore password too short
  }
}
