variable "ns" {
  type    = string
  default = "Prod"
  validation {
    condition     = lower(var.ns) == var.ns  # ERROR: Invalid value for variable
    error_message = "The namespace must be lowercase."
  }
}
