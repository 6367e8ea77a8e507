module "team" {
  for_each = toset(["a", "b"])
  source   = "./modules/pod"
  team     = each.key
}
