backend "local" {
  path = "a.json"
}
backend "local" {  # ERROR: Duplicate backend block
  path = "b.json"
}
