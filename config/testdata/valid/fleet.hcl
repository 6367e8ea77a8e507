kubernetes {
  context = "prod-us"
}

kubernetes "eu" {
  kubeconfig = "~/.kube/fleet"
  context    = "prod-eu"
}

kubernetes "ap" {
  in_cluster = true
}

certificate "web" {
  for_each     = kubernetes
  common_name  = "web.example"
  signer_name  = "example.com/signer"
  cluster      = each.value
  renew_jitter = "10%"
  secret {
    namespace = "default"
    name      = "web-tls"
  }
}

certificate "api" {
  for_each    = toset(["eu", "ap"])
  common_name = "api.${each.key}.example"
  signer_name = "example.com/signer"
  cluster     = kubernetes[each.key]
  secret {
    namespace = "default"
    name      = "api-tls"
  }
}

ca_bundle "signer" {
  for_each = toset(["default", "eu"])
  cluster  = kubernetes[each.key]
  source {
    cluster = kubernetes.ap
    configmap {
      namespace = "kube-system"
      name      = "signer-ca"
    }
  }
  configmap {
    namespaces = ["default"]
    name       = "signer-ca"
  }
}
