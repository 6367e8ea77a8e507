# The certificate of the Kubernetes task page "Manage TLS Certificates in a
# Cluster": a serving certificate for a pod behind a service, signed by the
# kubelet-serving signer. Apply it with:
#
#   certform apply --chdir examples/quickstart
#
# certform then prints the command a cluster admin runs to approve it
# (kubectl certificate approve ...). Set self_approve = true to approve it
# yourself, when your RBAC allows.

certificate "my-svc" {
  common_name = "system:node:my-pod.my-namespace.pod.cluster.local"
  hosts = [
    "my-svc.my-namespace.svc.cluster.local",
    "my-pod.my-namespace.pod.cluster.local",
    "192.0.2.24",
    "10.0.34.2",
  ]
  subject {
    organization = ["system:nodes"]
  }
  key {
    algorithm = "ecdsa"
    size      = 256
  }
  signer_name = "kubernetes.io/kubelet-serving"
  usages      = ["digital signature", "key encipherment", "server auth"]

  output {
    key_file  = "out/server-key.pem"
    cert_file = "out/server.crt"
  }
}
