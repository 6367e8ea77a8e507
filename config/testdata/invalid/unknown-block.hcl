certificat "a" {  # ERROR: Unsupported block type
}
