# A serving certificate for one service, signed by the kubelet-serving
# signer as on the Kubernetes task page "Manage TLS Certificates in a
# Cluster". Relative output paths are taken from the root configuration's
# directory, as every path in certform is; write "${path.module}/..." for
# a path inside this module's directory.

locals {
  service = "${var.name}.${var.namespace}.svc.cluster.local"
}

certificate "tls" {
  common_name = "system:node:${var.name}.${var.namespace}.pod.cluster.local"
  hosts       = [local.service, "${var.name}.${var.namespace}.pod.cluster.local"]
  subject {
    organization = ["system:nodes"]
  }
  signer_name  = "kubernetes.io/kubelet-serving"
  usages       = ["digital signature", "key encipherment", "server auth"]
  self_approve = var.self_approve

  secret {
    namespace = var.namespace
    name      = "${var.name}-tls"
  }
  output {
    key_file  = "out/${var.namespace}/${var.name}-key.pem"
    cert_file = "out/${var.namespace}/${var.name}.crt"
  }
}
