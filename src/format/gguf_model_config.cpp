// TODO(format): implemented by the format work.
