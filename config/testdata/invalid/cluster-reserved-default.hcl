kubernetes "default" {  # ERROR: Reserved cluster name
  context = "eu"
}
