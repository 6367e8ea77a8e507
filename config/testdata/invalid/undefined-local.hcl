locals {
  a = local.nope  # ERROR: Reference to undeclared local value
}
