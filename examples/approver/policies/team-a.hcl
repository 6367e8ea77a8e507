# Team a's workloads may get serving certificates for their own services
# from the kubelet-serving signer; nothing else. Requested by any service
# account of namespace team-a.
policy "team-a-serving" {
  signer_names = ["kubernetes.io/kubelet-serving"]
  requesters {
    service_accounts = ["team-a:*"]
  }
  allowed {
    dns_names      = ["*.team-a.svc", "*.team-a.svc.cluster.local"]
    ip_ranges      = ["10.0.0.0/8"]
    common_names   = ["system:node:*"]
    organizations  = ["system:nodes"]
    usages         = ["digital signature", "key encipherment", "server auth"]
    key_algorithms = ["ecdsa", "rsa"]
    min_rsa_bits   = 2048
    max_expiration = "720h"
  }
}
