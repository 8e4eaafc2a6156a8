#pragma once
// Byte-level lexing of JSON strings and numbers, shared by the automaton (one byte at a time) and the
// vocabulary's per-token string tables (a whole token at a time), so both always agree.
//
// Strings: RFC 8259 strings whose content is well-formed UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF), with escapes; a \u escape of a high surrogate must be followed by one of a low
// surrogate (lone surrogates are rejected, as nlohmann::json and most parsers do). Characters are counted
// as JSON Schema counts them: one per code point of the decoded string.
//
// Numbers: RFC 8259 numbers (no leading zeros, no '+', no bare '.'); digit runs are capped so that every
// accepted number parses as an exact int64 or a finite double.
#include <cstdint>

namespace hearth::constrain {

// ---- Strings ----
enum StringState : std::uint8_t {
  kStrBody,         // between characters
  kStrEscape,       // after '\'
  kStrU1,           // \u: first hex digit
  kStrU2,           // \u: second hex digit (first was not D)
  kStrU3,           // third hex digit
  kStrU4,           // fourth hex digit
  kStrUD2,          // \uD: second digit decides BMP / high surrogate / (invalid) low surrogate
  kStrHi3,          // high surrogate, third hex digit
  kStrHi4,          // high surrogate, fourth hex digit
  kStrLoBackslash,  // after a high surrogate: '\' of the low surrogate
  kStrLoU,          // 'u' of the low surrogate
  kStrLoD,          // its first hex digit, which must be D
  kStrLoC,          // its second hex digit, C..F
  kStrLo3,
  kStrLo4,
  kStrCont1,  // UTF-8: one continuation byte (80..BF) left
  kStrCont2,  // two left
  kStrCont3,  // three left
  kStrE0,     // after E0: A0..BF (no overlong 3-byte forms)
  kStrED,     // after ED: 80..9F (no UTF-16 surrogates)
  kStrF0,     // after F0: 90..BF (no overlong 4-byte forms)
  kStrF4,     // after F4: 80..8F (nothing above U+10FFFF)
  kStrStateCount,
};

inline constexpr std::uint8_t kStrReject = 0xFF;  // the byte cannot come next
inline constexpr std::uint8_t kStrClose = 0xFE;   // the closing quote: the string ends with this byte

struct StringStep {
  std::uint8_t next;  // a StringState, kStrReject or kStrClose
  bool starts_char;   // the byte begins a new character (counts toward minLength/maxLength)
};

inline bool is_hex_digit(std::uint8_t b) {
  return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
}

inline StringStep string_step(std::uint8_t state, std::uint8_t b) {
  auto to = [](std::uint8_t next) { return StringStep{next, false}; };
  const StringStep reject{kStrReject, false};
  switch (state) {
    case kStrBody:
      if (b == '"') return {kStrClose, false};
      if (b == '\\') return {kStrEscape, true};
      if (b < 0x20) return reject;  // control characters must be escaped
      if (b < 0x80) return {kStrBody, true};
      if (b < 0xC2) return reject;  // stray continuation byte or overlong 2-byte lead
      if (b < 0xE0) return {kStrCont1, true};
      if (b == 0xE0) return {kStrE0, true};
      if (b == 0xED) return {kStrED, true};
      if (b < 0xF0) return {kStrCont2, true};
      if (b == 0xF0) return {kStrF0, true};
      if (b < 0xF4) return {kStrCont3, true};
      if (b == 0xF4) return {kStrF4, true};
      return reject;
    case kStrEscape:
      switch (b) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          return to(kStrBody);
        case 'u':
          return to(kStrU1);
        default:
          return reject;
      }
    case kStrU1:
      if (b == 'd' || b == 'D') return to(kStrUD2);
      return is_hex_digit(b) ? to(kStrU2) : reject;
    case kStrU2:
      return is_hex_digit(b) ? to(kStrU3) : reject;
    case kStrU3:
      return is_hex_digit(b) ? to(kStrU4) : reject;
    case kStrU4:
      return is_hex_digit(b) ? to(kStrBody) : reject;
    case kStrUD2:
      if (b >= '0' && b <= '7') return to(kStrU3);
      if (b == '8' || b == '9' || b == 'a' || b == 'b' || b == 'A' || b == 'B') return to(kStrHi3);
      return reject;  // DC00..DFFF: a low surrogate without its high half
    case kStrHi3:
      return is_hex_digit(b) ? to(kStrHi4) : reject;
    case kStrHi4:
      return is_hex_digit(b) ? to(kStrLoBackslash) : reject;
    case kStrLoBackslash:
      return b == '\\' ? to(kStrLoU) : reject;
    case kStrLoU:
      return b == 'u' ? to(kStrLoD) : reject;
    case kStrLoD:
      return (b == 'd' || b == 'D') ? to(kStrLoC) : reject;
    case kStrLoC:
      return ((b >= 'c' && b <= 'f') || (b >= 'C' && b <= 'F')) ? to(kStrLo3) : reject;
    case kStrLo3:
      return is_hex_digit(b) ? to(kStrLo4) : reject;
    case kStrLo4:
      return is_hex_digit(b) ? to(kStrBody) : reject;
    case kStrCont1:
      return (b >= 0x80 && b <= 0xBF) ? to(kStrBody) : reject;
    case kStrCont2:
      return (b >= 0x80 && b <= 0xBF) ? to(kStrCont1) : reject;
    case kStrCont3:
      return (b >= 0x80 && b <= 0xBF) ? to(kStrCont2) : reject;
    case kStrE0:
      return (b >= 0xA0 && b <= 0xBF) ? to(kStrCont1) : reject;
    case kStrED:
      return (b >= 0x80 && b <= 0x9F) ? to(kStrCont1) : reject;
    case kStrF0:
      return (b >= 0x90 && b <= 0xBF) ? to(kStrCont2) : reject;
    case kStrF4:
      return (b >= 0x80 && b <= 0x8F) ? to(kStrCont2) : reject;
    default:
      return reject;
  }
}

// ---- Numbers ----
enum NumberState : std::uint8_t {
  kNumMinus,      // after '-'
  kNumZero,       // a leading 0 (accepting; no more integer digits)
  kNumInt,        // integer digits (accepting)
  kNumDot,        // after '.'
  kNumFrac,       // fraction digits (accepting)
  kNumExp,        // after 'e'/'E'
  kNumExpSign,    // after the exponent's sign
  kNumExpDigits,  // exponent digits (accepting)
};

inline constexpr std::uint8_t kNumReject = 0xFF;
// Digit caps: 18 integer digits always fit an int64; with at most 18 fraction digits and a two-digit
// exponent every number is a finite double (nlohmann::json rejects overflowing ones).
inline constexpr std::uint32_t kMaxIntDigits = 18;
inline constexpr std::uint32_t kMaxFracDigits = 18;
inline constexpr std::uint32_t kMaxExpDigits = 2;

inline bool number_accepting(std::uint8_t state) {
  return state == kNumZero || state == kNumInt || state == kNumFrac || state == kNumExpDigits;
}

// The state after the first byte of a number, or kNumReject. `digits` receives the digit count so far.
inline std::uint8_t number_start(std::uint8_t b, std::uint32_t& digits) {
  digits = 0;
  if (b == '-') return kNumMinus;
  if (b == '0') return digits = 1, kNumZero;
  if (b >= '1' && b <= '9') return digits = 1, kNumInt;
  return kNumReject;
}

// One more byte of a number; `digits` counts the digits of the current part. Integers (`integer_only`)
// have no fraction or exponent. Returns kNumReject when `b` cannot continue the number (the caller then
// ends the number if number_accepting() and hands `b` to what follows).
inline std::uint8_t number_step(std::uint8_t state, std::uint8_t b, bool integer_only, std::uint32_t& digits) {
  const bool digit = b >= '0' && b <= '9';
  switch (state) {
    case kNumMinus:
      if (b == '0') return digits = 1, kNumZero;
      if (digit) return digits = 1, kNumInt;
      return kNumReject;
    case kNumZero:
    case kNumInt:
      if (digit && state == kNumInt && digits < kMaxIntDigits) return ++digits, kNumInt;
      if (integer_only) return kNumReject;
      if (b == '.') return digits = 0, kNumDot;
      if (b == 'e' || b == 'E') return digits = 0, kNumExp;
      return kNumReject;
    case kNumDot:
      if (!digit) return kNumReject;
      digits = 1;
      return kNumFrac;
    case kNumFrac:
      if (digit && digits < kMaxFracDigits) return ++digits, kNumFrac;
      if (b == 'e' || b == 'E') return digits = 0, kNumExp;
      return kNumReject;
    case kNumExp:
      if (b == '+' || b == '-') return kNumExpSign;
      [[fallthrough]];
    case kNumExpSign:
      if (!digit) return kNumReject;
      digits = 1;
      return kNumExpDigits;
    case kNumExpDigits:
      if (!digit || digits >= kMaxExpDigits) return kNumReject;
      ++digits;
      return kNumExpDigits;
    default:
      return kNumReject;
  }
}

inline bool is_json_whitespace(std::uint8_t b) { return b == ' ' || b == '\n' || b == '\t' || b == '\r'; }

}  // namespace hearth::constrain
