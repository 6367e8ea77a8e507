certificate "a" {  # ERROR: Missing output block
  common_name = "x"
  signer_name = "example.com/s"
}
