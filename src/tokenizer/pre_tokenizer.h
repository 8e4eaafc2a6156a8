#pragma once
// Pre-tokenization: cutting normalized text into the pieces that BPE encodes one at a time, with
// the regular expressions of tokenizer.json's "Split" steps (PCRE2, UTF + UCP so that \p{L}, \p{N}
// and \s are Unicode-aware; JIT-compiled when the platform supports it).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hearth {

// How a Split step treats the text its pattern matches (Hugging Face SplitDelimiterBehavior).
enum class SplitBehavior {
  kIsolated,            // matches and the text between them are separate pieces
  kRemoved,             // matches are dropped
  kMergedWithPrevious,  // a match joins the piece before it
  kMergedWithNext,      // a match joins the piece after it
};

struct SplitRule {
  std::string pattern;
  bool literal = false;  // tokenizer.json {"String": ...}: the pattern is plain text
  SplitBehavior behavior = SplitBehavior::kIsolated;
  bool invert = false;  // split on the text between matches instead
};

// The pre-tokenizer of Qwen2/Qwen2.5/Qwen3 (tokenizer.json; llama.cpp's "qwen2").
extern const char* const kQwen2Pattern;
// GPT-2's pattern (the ByteLevel pre-tokenizer with use_regex, llama.cpp's "gpt-2").
extern const char* const kGpt2Pattern;
// Llama 3's pattern (llama.cpp's "llama-bpe").
extern const char* const kLlama3Pattern;

// One compiled Split step. Immutable after construction; split() may run on many threads at once.
class RegexSplitter {
 public:
  // Throws hearth::Error naming the pattern and PCRE2's complaint when it does not compile.
  explicit RegexSplitter(const SplitRule& rule);
  ~RegexSplitter();
  RegexSplitter(RegexSplitter&& other) noexcept;
  RegexSplitter& operator=(RegexSplitter&&) = delete;
  RegexSplitter(const RegexSplitter&) = delete;

  // Appends the pieces of each input piece to `out`, in order; empty pieces are never produced.
  // REQUIRES: the pieces are well-formed UTF-8. Throws hearth::Error when PCRE2 gives up on a
  // pathological input (its match limits), rather than hanging.
  void split(const std::vector<std::string_view>& in, std::vector<std::string_view>& out) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
  SplitBehavior behavior_;
  bool invert_;
};

// A sequence of Split steps applied one after the other.
class PreTokenizer {
 public:
  explicit PreTokenizer(const std::vector<SplitRule>& rules);
  // The pieces of `text` (views into it). With no rules, the whole text is one piece.
  std::vector<std::string_view> split(std::string_view text) const;

 private:
  std::vector<RegexSplitter> steps_;
};

}  // namespace hearth
