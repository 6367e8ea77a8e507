certificate "a" {
  common_name = = "x"  # ERROR: Invalid expression
}
