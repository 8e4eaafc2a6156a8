#pragma once
// Reference outputs of transformers for the shared tiny models (shared/reference/NAME.json and
// NAME.last-logits.f32) and the checks every model test applies to Hearth's logits.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "model/model.h"

namespace hearth::test {

struct ReferencePrompt {
  std::string name;
  std::vector<std::int32_t> ids;
  std::vector<std::vector<std::int32_t>> topk_ids;  // per position, descending logits
  std::vector<std::vector<float>> topk_logits;
  std::vector<std::int32_t> greedy;
};

struct Reference {
  std::string model;
  std::int64_t vocab_size = 0;
  std::vector<ReferencePrompt> prompts;
  std::vector<float> last_logits;  // [prompts.size(), vocab_size]

  std::span<const float> last(std::size_t prompt) const {
    return {last_logits.data() + prompt * static_cast<std::size_t>(vocab_size), static_cast<std::size_t>(vocab_size)};
  }
};

// Loads shared/reference/NAME.json and its last-logits file.
Reference load_reference(const std::filesystem::path& reference_dir, const std::string& name);

// Relative tolerance of every f32 check: max |diff| / max |ref|.
inline constexpr double kF32Tolerance = 1e-4;

// The ids of the n largest logits, descending (ties: lower id first).
std::vector<std::int32_t> top_ids(std::span<const float> logits, int n);
std::int32_t argmax(std::span<const float> logits);

// Checks one position's logits against the reference top-10: the logits at the reference ids agree
// within `tolerance` (relative to the largest |reference logit|), and Hearth's top-10 ids are the
// reference's, in order, except where the reference logits tie within that tolerance. Returns an empty
// string on success, else a description of the first mismatch.
std::string check_topk(std::span<const float> logits, const std::vector<std::int32_t>& ref_ids,
                       const std::vector<float>& ref_logits, double tolerance);

// max |a - ref| / max |ref| over the whole row.
double relative_error(std::span<const float> a, std::span<const float> ref);
// ||a - ref||_2 / ||ref||_2 over the whole logit vector: the usual "relative error" of a vector (numpy's
// norm(a - b) / norm(b)); relative_error() above is the stricter worst-element form.
double relative_l2_error(std::span<const float> a, std::span<const float> ref);

struct PromptRun {
  Logits logits;                     // every prompt position
  std::vector<std::int32_t> greedy;  // n_greedy argmax tokens after the prompt
};

// Prefill in one forward pass (all logits), then greedy decoding one token at a time with the KV cache.
PromptRun run_prompt(Model& model, const std::vector<std::int32_t>& ids, int n_greedy);

// Runs every reference prompt through `model` (prefill in one forward pass with all logits, then the
// greedy continuation decoded one token at a time with the KV cache) and checks, with gtest
// expectations: with `exact` (f32 compute on the reference's weights) the top-10 at every position, the
// full last-position logits within kF32Tolerance and the greedy tokens; always, top-1 agreement on at
// least 99% of positions.
void expect_matches_reference(Model& model, const Reference& ref, bool exact);

}  // namespace hearth::test
