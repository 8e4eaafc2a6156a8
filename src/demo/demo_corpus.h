#pragma once
#include <string_view>

namespace hearth::demo {

// The text the demo tokenizer is trained on and whose token bigrams the demo weights encode.
std::string_view demo_corpus();

}  // namespace hearth::demo
