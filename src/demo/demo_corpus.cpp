#include "demo/demo_corpus.h"

namespace hearth::demo {

std::string_view demo_corpus() {
  return R"(Hearth runs large language models on the hardware you own. A model is a set of weights and a
tokenizer; Hearth reads them from a Hugging Face folder or from a GGUF file and keeps the weights mapped
from disk, so the memory a model takes is the pages it touches. The engine batches requests together:
while one answer is being written, the next prompt is read in the same step. A mixture of experts sends
each token to a few experts, so a large model reads only a small part of its weights for every token.
The server speaks the OpenAI and Ollama protocols, streams tokens as they are made, and says when it is
too busy instead of falling over. Hello! Welcome to Hearth. Ask a question and the model will answer.
The fire in the hearth keeps the house warm through the winter night, and the family sits around it
to tell stories, to read, and to rest. Good software is like a good hearth: it is quiet, it is safe,
and it is there when you need it. Every request gets an answer or a clear error, never silence.
)";
}

}  // namespace hearth::demo
