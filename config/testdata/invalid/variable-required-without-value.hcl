variable "ns" {  # ERROR: No value for required variable
  type = string
}
