# certificate.web left the configuration, and the plan was made with
# --refresh=false: the delete lists what state recorded, and says that apply
# checks each object before it removes it.
