// TODO(format): open_gguf_model_files — config, generation config, chat template
// (tokenizer.chat_template), special-token strings and weights from a GGUF file.
#include "format/model_files.h"
#include "util/error.h"

namespace hearth {

void open_gguf_model_files(ModelFiles& m, bool load_weights) {
  (void)load_weights;
  fail("GGUF loading is not implemented yet");
}

}  // namespace hearth
