#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer/utf8.h"
#include "util/error.h"

namespace hearth {

const char* const kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

namespace {

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}

struct MatchData {
  pcre2_match_data* data;
  explicit MatchData(const pcre2_code* code) : data(pcre2_match_data_create_from_pattern(code, nullptr)) {
    if (!data) fail("out of memory for regex match data");
  }
  ~MatchData() { pcre2_match_data_free(data); }
  MatchData(const MatchData&) = delete;
  MatchData& operator=(const MatchData&) = delete;
};

struct Span {
  std::size_t begin, end;
  bool matched;
};

}  // namespace

struct RegexSplitter::Compiled {
  pcre2_code* code = nullptr;
  std::string pattern;
  ~Compiled() { pcre2_code_free(code); }
};

RegexSplitter::RegexSplitter(const SplitRule& rule)
    : compiled_(std::make_unique<Compiled>()), behavior_(rule.behavior), invert_(rule.invert) {
  compiled_->pattern = rule.pattern;
  int error = 0;
  PCRE2_SIZE offset = 0;
  std::uint32_t options = PCRE2_UTF | PCRE2_UCP;
  if (rule.literal) options |= PCRE2_LITERAL;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rule.pattern.data()), rule.pattern.size(), options,
                                  &error, &offset, nullptr);
  if (!compiled_->code)
    fail("pre-tokenizer regex does not compile at offset {}: {} (pattern {})", offset, pcre2_message(error),
         rule.pattern);
  // JIT is an optimisation only: without it (unsupported CPU, SELinux) the interpreter runs.
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

RegexSplitter::~RegexSplitter() = default;
RegexSplitter::RegexSplitter(RegexSplitter&& other) noexcept = default;

void RegexSplitter::split(const std::vector<std::string_view>& in, std::vector<std::string_view>& out) const {
  MatchData md(compiled_->code);
  std::vector<Span> spans;
  for (std::string_view text : in) {
    spans.clear();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    std::size_t search = 0, last_end = 0;
    while (search < text.size()) {
      int rc = pcre2_match(compiled_->code, subject, text.size(), search, PCRE2_NO_UTF_CHECK, md.data, nullptr);
      if (rc == PCRE2_ERROR_JIT_STACKLIMIT)  // the interpreter keeps its backtracking on the heap
        rc = pcre2_match(compiled_->code, subject, text.size(), search, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md.data,
                         nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) fail("pre-tokenizer regex failed on a {}-byte piece: {}", text.size(), pcre2_message(rc));
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.data);
      const std::size_t begin = ov[0], end = ov[1];
      if (end == begin) {  // an empty match splits nothing; move on by one character
        search = begin + utf8::step(text, begin).length;
        continue;
      }
      if (begin > last_end) spans.push_back({last_end, begin, false});
      spans.push_back({begin, end, true});
      last_end = search = end;
    }
    if (last_end < text.size()) spans.push_back({last_end, text.size(), false});

    bool merge_into_next = false;
    std::size_t pending_begin = 0;
    for (const Span& s : spans) {
      const bool is_delimiter = s.matched != invert_;
      if (!is_delimiter) {
        if (merge_into_next) {
          out.push_back(text.substr(pending_begin, s.end - pending_begin));
          merge_into_next = false;
        } else {
          out.push_back(text.substr(s.begin, s.end - s.begin));
        }
        continue;
      }
      switch (behavior_) {
        case SplitBehavior::kIsolated:
          out.push_back(text.substr(s.begin, s.end - s.begin));
          break;
        case SplitBehavior::kRemoved:
          break;
        case SplitBehavior::kMergedWithPrevious:
          if (!out.empty() && &s != &spans.front() && out.back().data() + out.back().size() == text.data() + s.begin)
            out.back() = std::string_view(out.back().data(), out.back().size() + (s.end - s.begin));
          else
            out.push_back(text.substr(s.begin, s.end - s.begin));
          break;
        case SplitBehavior::kMergedWithNext:
          if (!merge_into_next) pending_begin = s.begin;
          merge_into_next = true;
          break;
      }
    }
    if (merge_into_next) out.push_back(text.substr(pending_begin));
  }
}

PreTokenizer::PreTokenizer(const std::vector<SplitRule>& rules) {
  steps_.reserve(rules.size());
  for (const SplitRule& r : rules) steps_.emplace_back(r);
}

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  if (text.empty()) return pieces;
  pieces.push_back(text);
  std::vector<std::string_view> next;
  for (const RegexSplitter& step : steps_) {
    next.clear();
    step.split(pieces, next);
    pieces.swap(next);
  }
  return pieces;
}

}  // namespace hearth
