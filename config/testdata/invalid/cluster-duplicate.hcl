kubernetes "eu" {
  context = "eu"
}

kubernetes "eu" {  # ERROR: Duplicate kubernetes "eu" block
  context = "eu-2"
}
