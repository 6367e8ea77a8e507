output "secret" {
  description = "namespace/name of the Secret holding the key and certificate"
  value       = "${certificate.tls.secret_namespace}/${certificate.tls.secret_name}"
}

output "cert_file" {
  value = certificate.tls.cert_file
}

output "not_after" {
  description = "known after apply"
  value       = certificate.tls.not_after
}

output "serial_number" {
  value = certificate.tls.serial_number
}
