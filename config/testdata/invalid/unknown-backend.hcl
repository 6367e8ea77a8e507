backend "s3" {  # ERROR: Unsupported backend type
}
