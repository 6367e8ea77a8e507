# Lists change element by element: one host removed, one added, one kept
# in the middle; an organization added; a usage swapped.
certificate "web" {
  common_name = "web.example"
  hosts       = ["web.example", "shared.example", "b.example"]
  subject {
    organization = ["Example Ltd", "Web Team"]
  }
  signer_name = "example.com/serving"
  usages      = ["digital signature", "server auth", "client auth"]
  output {
    key_file  = "out/web.key"
    cert_file = "out/web.crt"
  }
}
