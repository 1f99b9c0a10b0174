// EQL tokens (Elasticsearch dialect). Keywords are lowercase and case-sensitive; Endgame-only
// string forms ('x', ?"x") are lexed only to be rejected with the ES replacement named.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eql/diagnostics.h"

namespace audetect::eql {

enum class Tok : uint8_t {
  kEnd,
  kIdent,       // text = identifier (keywords are kIdent with keyword() set)
  kQuotedName,  // `...`: text = segment with `` unescaped
  kString,      // text = decoded value
  kInt,         // int_value
  kDouble,      // double_value
  kLParen, kRParen, kLBracket, kRBracket, kComma, kDot, kPipe,
  kBang,        // ! (missing-event stage)
  kQuestion,    // ? immediately followed by a name (optional field)
  kEqEq, kNotEq, kLt, kLe, kGt, kGe,
  kAssign,      // = (only valid in `maxspan=` / `runs=`; an error as a comparison)
  kColon, kPlus, kMinus, kStar, kSlash, kPercent, kTilde,
  kError,       // a lexical error was reported; text holds the raw bytes
};

struct Token {
  Tok kind = Tok::kEnd;
  Span span;
  std::string text;
  int64_t int_value = 0;
  double double_value = 0;
  bool int_overflowed = false;  // an integer too large for 64 bits (became a double)

  bool is(Tok k) const { return kind == k; }
  bool is_word(std::string_view w) const { return kind == Tok::kIdent && text == w; }
};

// Lexes the whole query. Errors are reported into `diags` and produce kError tokens so the parser
// can stop with the first one; lexing never stops early except at the end of input.
std::vector<Token> lex(std::string_view text, Diagnostics& diags);

bool is_keyword(std::string_view word);

}  // namespace audetect::eql
