// TODO(model)
