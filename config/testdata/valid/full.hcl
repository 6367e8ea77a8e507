# Every block and attribute of the language, as a test fixture.
kubernetes {
  kubeconfig = "~/.kube/config"
  context    = "prod"
}

backend "local" {
  path = "state/certform.state.json"
}

variable "namespace" {
  type        = string
  default     = "my-namespace"
  description = "Where the service runs."
  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.namespace))
    error_message = "The namespace must be a DNS label."
  }
}

variable "pods" {
  type    = map(string)
  default = { a = "10.0.34.2", b = "10.0.34.3" }
}

variable "token" {
  type      = string
  default   = "not-a-secret"
  sensitive = true
}

locals {
  svc    = "my-svc.${local.domain}"
  domain = "${var.namespace}.svc.cluster.local"
}

certificate "my-svc" {
  common_name = "system:node:my-pod.${var.namespace}.pod.cluster.local"
  hosts       = [local.svc, "my-pod.${var.namespace}.pod.cluster.local", "192.0.2.24", cidrhost("10.0.34.0/24", 2)]
  subject {
    organization        = ["system:nodes"]
    organizational_unit = []
    country             = []
    province            = []
    locality            = []
  }
  key {
    algorithm = "ecdsa"
    size      = 384
    encoding  = "sec1"
    rotation  = "never"
  }
  signer_name        = "kubernetes.io/kubelet-serving"
  usages             = ["digital signature", "key encipherment", "server auth"]
  expiration_seconds = 86400
  renew_before       = "8h"
  self_approve       = true
  csr_name           = "my-svc.${var.namespace}"
  output {
    key_file  = "out/server-key.pem"
    cert_file = "out/server.crt"
    ca_file   = "out/ca.crt"
    ca_bundle = ca_bundle.service-ca
    csr_file  = "out/server.csr"
  }
  secret {
    namespace = var.namespace
    name      = "my-svc-tls"
  }
}

certificate "pod" {
  for_each    = var.pods
  common_name = "${each.key}.pods.example"
  hosts       = ["${each.key}.pods.example", each.value, "spiffe://example/pod/${each.key}", "ops@example.com"]
  key {
    algorithm = "ed25519"
  }
  signer_name             = "example.com/pods"
  usages                  = ["digital signature", "client auth", "server auth"]
  renew_before_percentage = 25
  output {
    key_file  = "out/pod-${each.key}.key"
    cert_file = "out/pod-${each.key}.crt"
  }
}

certificate "client" {
  for_each    = toset(["alice", "bob"])
  common_name = each.key
  subject { organization = ["team-a"] }
  key {
    algorithm = "rsa"
    size      = 3072
    encoding  = "pkcs1"
  }
  signer_name = "kubernetes.io/kube-apiserver-client"
  usages      = ["digital signature", "key encipherment", "client auth"]
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}

ca_bundle "service-ca" {
  source { file = "ca.crt" }
  source { pem = file("ca.crt") }
  source {
    configmap {
      namespace = "kube-system"
      name      = "extension-apiserver-authentication"
      key       = "client-ca-file"
    }
  }
  source {
    cluster_trust_bundle { signer_name = "example.com/pods" }
  }
  configmap {
    namespaces = [var.namespace, "other"]
    name       = "service-ca"
    key        = "ca.crt"
  }
}

ca_bundle "per-team" {
  for_each = toset(["team-a", "team-b"])
  source { file = "ca.crt" }
  configmap {
    namespace_selector = "team=${each.key}"
    name               = "ca"
  }
}
