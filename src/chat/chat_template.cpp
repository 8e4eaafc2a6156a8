// TODO(chat)
