// TODO(tokenizer)
