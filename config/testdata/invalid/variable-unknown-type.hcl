variable "ns" {
  type = strang  # ERROR: Invalid type specification
}
