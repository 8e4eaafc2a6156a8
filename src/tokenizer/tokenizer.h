#pragma once
// Hearth's tokenizer: byte-level BPE as used by GPT-2, Qwen2/2.5/3 and Llama 3.
//
// encode(): added tokens are found first (longest match wins), the text between them is
// normalized (NFC for Qwen), cut into pre-tokens by the pre-tokenizer regex, mapped to the
// byte-level alphabet and merged by BPE rank. decode(): the bytes of the tokens, with ill-formed
// UTF-8 replaced by U+FFFD as transformers does. Built by the loaders in tokenizer_loader.h.
//
// Thread safety: every method is const and may be called from many threads at once (the BPE
// word cache inside is locked).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe.h"
#include "tokenizer/flat_index.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer_spec.h"

namespace hearth {

class Tokenizer {
 public:
  // Compiles a spec. Throws hearth::Error when it is inconsistent (no tokens, an added token's id
  // out of range, a regex that does not compile).
  explicit Tokenizer(TokenizerSpec spec);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // ---- Encoding ----
  // The ids of `text`; never adds BOS/EOS (see add_bos()). With parse_special, the text of special
  // tokens ("<|im_start|>") becomes their ids, as transformers' encode(add_special_tokens=False);
  // without it special tokens are plain text, as in llama.cpp's tokenizer tests. Non-special added
  // tokens ("<think>") are matched either way (both libraries do so).
  // Invalid UTF-8 never fails: the well-formed runs around it are tokenized as usual and each
  // ill-formed byte becomes its single-byte token, so token_bytes() of the result gives back the
  // input bytes exactly (up to normalization).
  std::vector<TokenId> encode(std::string_view text, bool parse_special = true) const;

  // ---- Decoding ----
  // The text of `ids`: always well-formed UTF-8 (ill-formed bytes become U+FFFD). Special tokens
  // give their text unless skip_special. Ids in [vocab_size(), id_limit()) give nothing.
  // Throws hearth::Error naming the first id outside [0, id_limit()).
  std::string decode(std::span<const TokenId> ids, bool skip_special = false) const;
  // The raw bytes token `id` stands for: "" for unused ids and ids past the vocabulary.
  // REQUIRES: is_valid_id(id).
  std::string_view token_bytes(TokenId id) const;

  // ---- Vocabulary ----
  // Entries in the token table (151669 for Qwen3's tokenizer.json, 151936 for a GGUF padded to
  // the embedding). Ids at or past it can still be valid model outputs; see id_limit().
  std::int32_t vocab_size() const { return static_cast<std::int32_t>(tokens_.size()); }
  // Every id below this is accepted by decode(): the model's embedding rows when the loader knew
  // them (load_tokenizer(ModelFiles)), else vocab_size().
  std::int64_t id_limit() const { return id_limit_; }
  bool is_valid_id(std::int64_t id) const { return id >= 0 && id < id_limit_; }
  // Throws hearth::Error "token id N is out of range (the model has M token ids)" unless is_valid_id(id).
  void require_valid_id(std::int64_t id) const;
  // The token's text as stored in the vocabulary (byte-level form for normal tokens: "Ġhello");
  // "" past the table.
  std::string_view token_text(TokenId id) const;
  // The id of a token text: an added token's content ("<|im_end|>") or a vocabulary entry in
  // byte-level form ("Ġhello").
  std::optional<TokenId> token_id(std::string_view text) const;
  TokenKind token_kind(TokenId id) const;  // kUnused past the table
  // Control tokens (special added tokens, the unknown token).
  bool is_special(TokenId id) const;
  // Added tokens, special or not (<|im_start|>, <think>).
  bool is_added(TokenId id) const;

  // ---- Special ids ----
  std::optional<TokenId> bos_id() const { return bos_id_; }
  std::optional<TokenId> eos_id() const { return eos_id_; }
  std::optional<TokenId> eot_id() const { return eot_id_; }
  std::optional<TokenId> pad_id() const { return pad_id_; }
  std::optional<TokenId> unk_id() const { return unk_id_; }
  // Whether prompts should start with bos_id() (the tokenizer config's add_bos_token).
  bool add_bos() const { return add_bos_ && bos_id_.has_value(); }
  bool add_eos() const { return add_eos_ && eos_id_.has_value(); }
  // Tokens that end a generation: eos, eot, eom, the extra ids of the spec (generation_config's
  // eos_token_id), and control tokens known to end a turn (<|im_end|>, <|endoftext|>,
  // <|eot_id|>, ...). Sorted.
  const std::vector<TokenId>& eog_ids() const { return eog_ids_; }
  bool is_eog(TokenId id) const;

  // llama.cpp's name for the pre-tokenizer ("qwen2") when known, else "".
  const std::string& pre_name() const { return pre_name_; }
  Normalization normalization() const { return normalization_; }

 private:
  void encode_plain(std::string_view text, bool parse_special, std::vector<TokenId>& ids) const;
  void encode_normalized(std::string_view text, bool first, std::vector<TokenId>& ids) const;

  std::vector<std::string> tokens_;
  std::vector<TokenKind> kinds_;
  std::vector<std::string> bytes_;         // decoded bytes by id
  std::unique_ptr<TextIndex> normal_ids_;  // over tokens_, normal tokens only
  std::unordered_map<std::string, TokenId> added_ids_;
  std::array<TokenId, 256> byte_tokens_{};

  Normalization normalization_;
  bool add_prefix_space_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<BpeModel> bpe_;
  std::unique_ptr<AddedTokenMatcher> added_;

  std::optional<TokenId> bos_id_, eos_id_, eot_id_, eom_id_, pad_id_, unk_id_;
  bool add_bos_, add_eos_;
  std::vector<TokenId> eog_ids_;
  std::int64_t id_limit_;
  std::string pre_name_;
};

}  // namespace hearth
