#include "constrain_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "constrain/token_constraint.h"

namespace hearth::constrain::test {

const ConstraintVocabulary& byte_vocabulary() {
  static const auto vocab = [] {
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.emplace_back(1, static_cast<char>(b));
    tokens.emplace_back("</s>");
    return ConstraintVocabulary::from_tokens(tokens, {kByteEos});
  }();
  return *vocab;
}

namespace {

bool feed(const std::shared_ptr<const JsonGrammar>& grammar, std::string_view text, bool require_complete) {
  TokenConstraint c(grammar, byte_vocabulary());
  std::vector<float> logits(257);
  for (unsigned char b : text) {
    std::fill(logits.begin(), logits.end(), 0.0f);
    c.mask(logits);
    const bool masked_in = std::isfinite(logits[b]);
    const bool allowed = c.allows(b);
    EXPECT_EQ(masked_in, allowed) << "mask() and allows() disagree on byte " << int(b) << " in: " << text;
    if (!allowed) {
      EXPECT_FALSE(c.accept(b));
      return false;
    }
    EXPECT_TRUE(c.accept(b));
  }
  std::fill(logits.begin(), logits.end(), 0.0f);
  c.mask(logits);
  EXPECT_EQ(std::isfinite(logits[kByteEos]), c.complete());
  if (!require_complete) return true;
  if (!c.complete()) return false;
  EXPECT_TRUE(c.accept(kByteEos));
  EXPECT_TRUE(c.finished());
  return true;
}

}  // namespace

bool generates(const std::shared_ptr<const JsonGrammar>& grammar, std::string_view text) {
  return feed(grammar, text, true);
}

bool generates_prefix(const std::shared_ptr<const JsonGrammar>& grammar, std::string_view text) {
  return feed(grammar, text, false);
}

std::shared_ptr<const JsonGrammar> schema(std::string_view text) { return JsonGrammar::from_schema(text); }

}  // namespace hearth::constrain::test
