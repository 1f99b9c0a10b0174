#include "eql/lexer.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace audetect::eql {

namespace {

constexpr std::array<std::string_view, 19> kKeywords = {
    "and", "or", "not", "in", "like", "regex", "where", "any", "sequence", "sample",
    "by", "with", "maxspan", "until", "join", "of", "true", "false", "null"};

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '@';
}
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  Lexer(std::string_view text, Diagnostics& diags) : t_(text), diags_(diags) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space_and_comments();
      if (pos_ >= t_.size()) break;
      out.push_back(next());
    }
    Token end;
    end.kind = Tok::kEnd;
    end.span = {static_cast<uint32_t>(t_.size()), static_cast<uint32_t>(t_.size())};
    out.push_back(std::move(end));
    return out;
  }

 private:
  char at(size_t i) const { return i < t_.size() ? t_[i] : '\0'; }
  Span span_from(size_t b) const { return {static_cast<uint32_t>(b), static_cast<uint32_t>(pos_)}; }

  void skip_space_and_comments() {
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '/' && at(pos_ + 1) == '/') {
        while (pos_ < t_.size() && t_[pos_] != '\n') ++pos_;
      } else if (c == '/' && at(pos_ + 1) == '*') {
        size_t begin = pos_;
        pos_ += 2;
        int depth = 1;  // ES block comments nest
        while (pos_ < t_.size() && depth > 0) {
          if (t_[pos_] == '/' && at(pos_ + 1) == '*') {
            ++depth;
            pos_ += 2;
          } else if (t_[pos_] == '*' && at(pos_ + 1) == '/') {
            --depth;
            pos_ += 2;
          } else {
            ++pos_;
          }
        }
        if (depth > 0) diags_.error(DiagCode::kUnterminatedComment, span_from(begin), "unterminated block comment");
      } else {
        break;
      }
    }
  }

  Token make(Tok kind, size_t begin) {
    Token tok;
    tok.kind = kind;
    tok.span = span_from(begin);
    return tok;
  }

  Token error(size_t begin, DiagCode code, std::string message, std::string help = {}) {
    Token tok = make(Tok::kError, begin);
    tok.text = std::string(t_.substr(begin, pos_ - begin));
    diags_.error(code, tok.span, std::move(message), std::move(help));
    return tok;
  }

  Token next() {
    const size_t b = pos_;
    const char c = t_[pos_];
    if (ident_start(c)) {
      while (pos_ < t_.size() && ident_char(t_[pos_])) ++pos_;
      Token tok = make(Tok::kIdent, b);
      tok.text = std::string(t_.substr(b, pos_ - b));
      return tok;
    }
    if (digit(c) || (c == '.' && digit(at(pos_ + 1)))) return number();
    if (c == '`') return quoted_name();
    if (c == '"') return string();
    if (c == '\'') {
      skip_quoted('\'');
      return error(b, DiagCode::kEndgameString, "single-quoted strings are not supported",
                   "use double quotes: \"...\" (or \"\"\"...\"\"\" for a raw string)");
    }
    ++pos_;
    switch (c) {
      case '(': return make(Tok::kLParen, b);
      case ')': return make(Tok::kRParen, b);
      case '[': return make(Tok::kLBracket, b);
      case ']': return make(Tok::kRBracket, b);
      case ',': return make(Tok::kComma, b);
      case '.': return make(Tok::kDot, b);
      case '|': return make(Tok::kPipe, b);
      case ':': return make(Tok::kColon, b);
      case '+': return make(Tok::kPlus, b);
      case '-': return make(Tok::kMinus, b);
      case '*': return make(Tok::kStar, b);
      case '/': return make(Tok::kSlash, b);
      case '%': return make(Tok::kPercent, b);
      case '~': return make(Tok::kTilde, b);
      case '?':
        if (at(pos_) == '"' || at(pos_) == '\'') {
          skip_quoted(at(pos_));
          return error(b, DiagCode::kEndgameString, "?\"...\" raw strings are not supported",
                       "use a triple-quoted raw string: \"\"\"...\"\"\"");
        }
        return make(Tok::kQuestion, b);
      case '!':
        if (at(pos_) == '=') {
          ++pos_;
          return make(Tok::kNotEq, b);
        }
        return make(Tok::kBang, b);
      case '=':
        if (at(pos_) == '=') {
          ++pos_;
          return make(Tok::kEqEq, b);
        }
        return make(Tok::kAssign, b);
      case '<':
        if (at(pos_) == '=') {
          ++pos_;
          return make(Tok::kLe, b);
        }
        return make(Tok::kLt, b);
      case '>':
        if (at(pos_) == '=') {
          ++pos_;
          return make(Tok::kGe, b);
        }
        return make(Tok::kGt, b);
      default:
        break;
    }
    // One whole UTF-8 sequence for the message.
    while (pos_ < t_.size() && (static_cast<unsigned char>(t_[pos_]) & 0xC0) == 0x80) ++pos_;
    std::string shown(t_.substr(b, pos_ - b));
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) shown = fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    return error(b, DiagCode::kUnexpectedChar, fmt::format("unexpected character '{}'", shown));
  }

  void skip_quoted(char q) {
    ++pos_;  // opening quote
    while (pos_ < t_.size() && t_[pos_] != q && t_[pos_] != '\n') {
      if (t_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ < t_.size() && t_[pos_] == q) ++pos_;
  }

  Token number() {
    const size_t b = pos_;
    bool is_double = false;
    while (digit(at(pos_))) ++pos_;
    if (at(pos_) == '.' && !ident_start(at(pos_ + 1))) {
      is_double = true;
      ++pos_;
      while (digit(at(pos_))) ++pos_;
    }
    if ((at(pos_) == 'e' || at(pos_) == 'E') &&
        (digit(at(pos_ + 1)) || ((at(pos_ + 1) == '+' || at(pos_ + 1) == '-') && digit(at(pos_ + 2))))) {
      is_double = true;
      pos_ += 2;
      while (digit(at(pos_))) ++pos_;
    }
    std::string text(t_.substr(b, pos_ - b));
    Token tok = make(is_double ? Tok::kDouble : Tok::kInt, b);
    tok.text = text;
    if (!is_double) {
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), tok.int_value);
      if (ec == std::errc()) return tok;
      // Too large for 64 bits: ES turns it into a double.
      tok.kind = Tok::kDouble;
      tok.int_overflowed = true;
    }
    tok.double_value = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(tok.double_value)) {
      return error(b, DiagCode::kBadNumber, fmt::format("number {} is out of range", text));
    }
    return tok;
  }

  Token quoted_name() {
    const size_t b = pos_;
    ++pos_;
    std::string value;
    for (;;) {
      if (pos_ >= t_.size()) return error(b, DiagCode::kUnterminatedQuotedName, "unterminated `quoted` field name");
      char c = t_[pos_];
      if (c == '`') {
        if (at(pos_ + 1) == '`') {
          value += '`';
          pos_ += 2;
          continue;
        }
        ++pos_;
        break;
      }
      value += c;
      ++pos_;
    }
    Token tok = make(Tok::kQuotedName, b);
    tok.text = std::move(value);
    return tok;
  }

  Token string() {
    const size_t b = pos_;
    if (t_.substr(pos_, 3) == "\"\"\"") {
      pos_ += 3;
      size_t close = t_.find("\"\"\"", pos_);
      size_t newline = t_.find('\n', pos_);
      if (close == std::string_view::npos || (newline != std::string_view::npos && newline < close)) {
        pos_ = newline == std::string_view::npos ? t_.size() : newline;
        return error(b, DiagCode::kUnterminatedString, "unterminated raw string (\"\"\"...\"\"\" cannot span lines)");
      }
      size_t end = close;
      // Up to two extra quotes after the closing delimiter belong to the value.
      size_t extra = 0;
      while (extra < 2 && at(close + 3 + extra) == '"') ++extra;
      end += extra;
      Token tok = make(Tok::kString, b);
      tok.text = std::string(t_.substr(pos_, end - pos_));
      pos_ = close + 3 + extra;
      tok.span = span_from(b);
      return tok;
    }
    ++pos_;
    std::string value;
    for (;;) {
      if (pos_ >= t_.size()) return error(b, DiagCode::kUnterminatedString, "unterminated string");
      char c = t_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\n' || c == '\r') {
        return error(b, DiagCode::kNewlineInString, "line break inside a string",
                     "write \\n for a newline in a string");
      }
      if (c != '\\') {
        value += c;
        ++pos_;
        continue;
      }
      const size_t esc = pos_;
      char e = at(pos_ + 1);
      pos_ += 2;
      switch (e) {
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case '\\': value += '\\'; break;
        case '"': value += '"'; break;
        case '\'': value += '\''; break;
        case 'u': {
          if (at(pos_) != '{') return bad_escape(b, esc, "\\u must be followed by {hex digits}");
          ++pos_;
          uint32_t cp = 0;
          int n = 0;
          while (hex_value(at(pos_)) >= 0 && n < 9) {
            cp = cp * 16 + static_cast<uint32_t>(hex_value(at(pos_)));
            ++pos_;
            ++n;
          }
          if (at(pos_) != '}' || n < 2 || n > 8) return bad_escape(b, esc, "\\u{...} needs 2 to 8 hex digits");
          ++pos_;
          if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return bad_escape(b, esc, fmt::format("\\u{{{:x}}} is not a Unicode scalar value", cp));
          append_utf8(value, cp);
          break;
        }
        default:
          if (e == '\0' && esc + 1 >= t_.size()) return error(b, DiagCode::kUnterminatedString, "unterminated string");
          return bad_escape(b, esc, fmt::format("unknown escape sequence \\{}", e));
      }
    }
    Token tok = make(Tok::kString, b);
    tok.text = std::move(value);
    return tok;
  }

  Token bad_escape(size_t string_begin, size_t esc, std::string message) {
    // Report at the escape, then skip to the end of the string so lexing can go on.
    Span at_escape{static_cast<uint32_t>(esc), static_cast<uint32_t>(std::min(pos_, t_.size()))};
    diags_.error(DiagCode::kBadEscape, at_escape, std::move(message),
                 "valid escapes: \\n \\r \\t \\b \\f \\\\ \\\" \\' \\u{hex}");
    while (pos_ < t_.size() && t_[pos_] != '"' && t_[pos_] != '\n') {
      if (t_[pos_] == '\\') ++pos_;
      ++pos_;
    }
    if (pos_ < t_.size() && t_[pos_] == '"') ++pos_;
    pos_ = std::min(pos_, t_.size());
    Token tok = make(Tok::kError, string_begin);
    return tok;
  }

  std::string_view t_;
  Diagnostics& diags_;
  size_t pos_ = 0;
};

}  // namespace

bool is_keyword(std::string_view word) {
  for (auto k : kKeywords)
    if (k == word) return true;
  return false;
}

std::vector<Token> lex(std::string_view text, Diagnostics& diags) { return Lexer(text, diags).run(); }

}  // namespace audetect::eql
