variable "ns" {
  default = "a"
}
variable "ns" {  # ERROR: Duplicate variable "ns" block
  default = "b"
}
