variable "team" {
  type = string
}

certificate "tls" {
  common_name = "${var.team}.pods.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${var.team}.key"
    cert_file = "out/${var.team}.crt"
  }
}
