#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"
#include "util/error.h"
#include "util/log.h"

namespace hearth {
namespace {

// Added tokens that end a turn in the model families Hearth knows, whatever the config says.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<|end|>", "<end_of_turn>", "<|end_of_text|>",
};

std::optional<TokenId> checked_special(std::optional<TokenId> id, std::size_t n, const char* what) {
  if (id && (*id < 0 || static_cast<std::size_t>(*id) >= n)) {
    spdlog::warn("tokenizer: {} id {} is outside the vocabulary of {} tokens; ignored", what, *id, n);
    return std::nullopt;
  }
  return id;
}

}  // namespace

TokenKind token_kind_from_gguf(std::int64_t type) {
  switch (type) {
    case 2:
      return TokenKind::kUnknown;
    case 3:
      return TokenKind::kControl;
    case 4:
      return TokenKind::kUserDefined;
    case 5:
      return TokenKind::kUnused;
    default:
      return TokenKind::kNormal;
  }
}

std::int32_t token_kind_to_gguf(TokenKind kind) {
  switch (kind) {
    case TokenKind::kNormal:
      return 1;
    case TokenKind::kUnknown:
      return 2;
    case TokenKind::kControl:
      return 3;
    case TokenKind::kUserDefined:
      return 4;
    case TokenKind::kUnused:
      return 5;
  }
  return 1;
}

Tokenizer::Tokenizer(TokenizerSpec spec)
    : tokens_(std::move(spec.tokens)),
      kinds_(std::move(spec.kinds)),
      normalization_(spec.normalization),
      add_prefix_space_(spec.add_prefix_space),
      add_bos_(spec.add_bos),
      add_eos_(spec.add_eos),
      pre_name_(std::move(spec.pre_name)) {
  require(!tokens_.empty(), "tokenizer has no tokens");
  require(tokens_.size() == kinds_.size(), "tokenizer has {} tokens but {} token types", tokens_.size(), kinds_.size());
  require(tokens_.size() < (std::size_t{1} << 31), "tokenizer has too many tokens ({})", tokens_.size());
  const std::size_t n = tokens_.size();

  bytes_.resize(n);
  normal_ids_ = std::make_unique<TextIndex>(tokens_, n);
  for (std::size_t id = 0; id < n; ++id) {
    switch (kinds_[id]) {
      case TokenKind::kNormal:
        bytes_[id] = byte_level::decode(tokens_[id]);
        normal_ids_->insert(static_cast<TokenId>(id));
        break;
      case TokenKind::kUnused:
        break;
      default:  // added tokens are stored as plain text
        bytes_[id] = tokens_[id];
        break;
    }
  }

  for (const AddedToken& t : spec.added_tokens) {
    require(t.id >= 0 && static_cast<std::size_t>(t.id) < n, "added token '{}' has id {} outside the vocabulary",
            t.content, t.id);
    added_ids_.try_emplace(t.content, t.id);
  }
  added_ = std::make_unique<AddedTokenMatcher>(std::move(spec.added_tokens));

  int missing_bytes = 0;
  for (int b = 0; b < 256; ++b) {
    byte_tokens_[b] = normal_ids_->find(byte_level::byte_to_text(static_cast<std::uint8_t>(b)));
    missing_bytes += byte_tokens_[b] < 0;
  }
  if (missing_bytes > 0)
    spdlog::warn("tokenizer: {} of the 256 bytes have no token; text containing them loses those bytes", missing_bytes);

  std::vector<BpeMerge> merges;
  merges.reserve(spec.merges.size());
  std::size_t skipped = 0;
  std::string joined;
  for (const auto& [a, b] : spec.merges) {
    joined.assign(a).append(b);
    const TokenId left = normal_ids_->find(a), right = normal_ids_->find(b), result = normal_ids_->find(joined);
    if (left < 0 || right < 0 || result < 0) {
      ++skipped;
      // Keep the rank numbering of the source: an unusable merge still occupies its rank.
      merges.push_back({-1, -1, -1});
      continue;
    }
    merges.push_back({left, right, result});
  }
  if (skipped > 0) spdlog::warn("tokenizer: {} merges name tokens missing from the vocabulary; ignored", skipped);
  spec.merges.clear();
  spec.merges.shrink_to_fit();
  std::unordered_map<std::string, TokenId> whole_words;
  if (spec.ignore_merges) {
    for (std::size_t id = 0; id < n; ++id)
      if (kinds_[id] == TokenKind::kNormal) whole_words.try_emplace(bytes_[id], static_cast<TokenId>(id));
  }
  bpe_ = std::make_unique<BpeModel>(byte_tokens_, merges, std::move(whole_words));
  pre_tokenizer_ = std::make_unique<PreTokenizer>(spec.splits);

  bos_id_ = checked_special(spec.bos_id, n, "BOS");
  eos_id_ = checked_special(spec.eos_id, n, "EOS");
  eot_id_ = checked_special(spec.eot_id, n, "EOT");
  eom_id_ = checked_special(spec.eom_id, n, "EOM");
  pad_id_ = checked_special(spec.pad_id, n, "padding");
  unk_id_ = checked_special(spec.unk_id, n, "unknown");

  for (auto id : {eos_id_, eot_id_, eom_id_})
    if (id) eog_ids_.push_back(*id);
  for (TokenId id : spec.extra_eog_ids)
    if (checked_special(id, n, "end-of-generation")) eog_ids_.push_back(id);
  for (std::string_view text : kEndOfTurnTexts) {
    auto it = added_ids_.find(std::string(text));
    if (it != added_ids_.end()) eog_ids_.push_back(it->second);
  }
  std::sort(eog_ids_.begin(), eog_ids_.end());
  eog_ids_.erase(std::unique(eog_ids_.begin(), eog_ids_.end()), eog_ids_.end());

  id_limit_ = std::max<std::int64_t>(spec.id_limit, static_cast<std::int64_t>(n));
}

Tokenizer::~Tokenizer() = default;

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool parse_special) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 1);
  std::vector<AddedTokenMatcher::Piece> pieces;
  added_->split(text, parse_special, /*normalized=*/false, pieces);
  for (const auto& piece : pieces) {
    if (piece.id >= 0)
      ids.push_back(piece.id);
    else
      encode_plain(piece.text, parse_special, ids);
  }
  return ids;
}

// Raw text between added tokens: well-formed runs are normalized and encoded; each byte of an
// ill-formed sequence becomes its byte token.
void Tokenizer::encode_plain(std::string_view text, bool parse_special, std::vector<TokenId>& ids) const {
  bool first = true;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos;
    while (end < text.size()) {
      if (static_cast<unsigned char>(text[end]) < 0x80) {
        ++end;
        continue;
      }
      const utf8::Step st = utf8::step(text, end);
      if (st.kind != utf8::StepKind::kValid) break;
      end += st.length;
    }
    if (end > pos) {
      const std::string_view run = text.substr(pos, end - pos);
      std::string normalized_storage;
      std::string_view normalized = run;
      if (normalization_ != Normalization::kNone) {
        normalized_storage = normalize(run, normalization_);
        normalized = normalized_storage;
      }
      if (added_->has_tokens(/*normalized=*/true)) {
        std::vector<AddedTokenMatcher::Piece> pieces;
        added_->split(normalized, parse_special, /*normalized=*/true, pieces);
        for (const auto& piece : pieces) {
          if (piece.id >= 0)
            ids.push_back(piece.id);
          else
            encode_normalized(piece.text, first, ids);
          first = false;
        }
      } else {
        encode_normalized(normalized, first, ids);
      }
      first = false;
      pos = end;
      continue;
    }
    const utf8::Step bad = utf8::step(text, pos);
    for (std::size_t i = 0; i < bad.length; ++i) {
      const TokenId id = byte_tokens_[static_cast<std::uint8_t>(text[pos + i])];
      if (id >= 0) ids.push_back(id);
    }
    pos += bad.length;
    first = false;
  }
}

void Tokenizer::encode_normalized(std::string_view text, bool first, std::vector<TokenId>& ids) const {
  std::string prefixed;
  if (add_prefix_space_ && first && !text.empty() && text.front() != ' ') {
    prefixed.reserve(text.size() + 1);
    prefixed.append(" ").append(text);
    text = prefixed;
  }
  for (std::string_view piece : pre_tokenizer_->split(text)) bpe_->encode(piece, ids);
}

void Tokenizer::require_valid_id(std::int64_t id) const {
  if (!is_valid_id(id)) fail("token id {} is out of range (the model has {} token ids)", id, id_limit_);
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
  std::string bytes;
  for (TokenId id : ids) {
    require_valid_id(id);
    if (static_cast<std::size_t>(id) >= tokens_.size()) continue;
    if (skip_special && is_special(id)) continue;
    bytes += bytes_[id];
  }
  return utf8::is_valid(bytes) ? bytes : utf8::sanitize(bytes);
}

std::string_view Tokenizer::token_bytes(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= bytes_.size()) return {};
  return bytes_[id];
}

std::string_view Tokenizer::token_text(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size()) return {};
  return tokens_[id];
}

std::optional<TokenId> Tokenizer::token_id(std::string_view text) const {
  if (auto it = added_ids_.find(std::string(text)); it != added_ids_.end()) return it->second;
  if (const TokenId id = normal_ids_->find(text); id >= 0) return id;
  return std::nullopt;
}

TokenKind Tokenizer::token_kind(TokenId id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= kinds_.size()) return TokenKind::kUnused;
  return kinds_[id];
}

bool Tokenizer::is_special(TokenId id) const {
  const TokenKind k = token_kind(id);
  return k == TokenKind::kControl || k == TokenKind::kUnknown;
}

bool Tokenizer::is_added(TokenId id) const {
  const TokenKind k = token_kind(id);
  return k == TokenKind::kControl || k == TokenKind::kUserDefined || k == TokenKind::kUnknown;
}

bool Tokenizer::is_eog(TokenId id) const { return std::binary_search(eog_ids_.begin(), eog_ids_.end(), id); }

}  // namespace hearth
