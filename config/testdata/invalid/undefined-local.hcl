locals {
  a = local.nope  # ERROR: Unsupported attribute
}
