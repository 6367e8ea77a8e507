certificate "a" {  # ERROR: Missing output or secret block
  common_name = "x"
  signer_name = "example.com/s"
}
