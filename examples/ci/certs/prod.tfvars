team = "platform"
