variable "name" {
  type        = string
  description = "the service's name"
}

variable "namespace" {
  type        = string
  description = "the team's namespace: the service's, and the Secret's"
}

variable "self_approve" {
  type    = bool
  default = false
}
