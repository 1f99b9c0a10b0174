#include "eql/regex_translate.h"

#include <fmt/format.h>

#include "eql/casefold.h"

namespace audetect::eql {

namespace {

// Appends one code point as an RE2 literal.
void append_literal(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    const char c = static_cast<char>(cp);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
        c == ' ') {
      out += c;
    } else if (cp < 0x20 || cp == 0x7f) {
      out += fmt::format("\\x{{{:x}}}", cp);
    } else {
      out += '\\';
      out += c;
    }
    return;
  }
  append_utf8(out, cp);
}

// A code point inside a character class.
void append_class_literal(std::string& out, uint32_t cp) {
  if (cp < 0x80 && !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))) {
    out += fmt::format("\\x{{{:x}}}", cp);
    return;
  }
  append_utf8(out, cp);
}

class Translator {
 public:
  explicit Translator(std::string_view p) : p_(p) {}

  RegexTranslation run() {
    RegexTranslation r;
    while (i_ < p_.size() && error_.empty()) step();
    if (error_.empty() && depth_ != 0) fail(p_.size(), "unbalanced '(': missing ')'");
    if (!error_.empty()) {
      r.error = error_;
      r.error_offset = error_at_;
      return r;
    }
    r.ok = true;
    r.re2 = std::move(out_);
    return r;
  }

 private:
  void fail(size_t at, std::string message) {
    if (!error_.empty()) return;
    error_ = std::move(message);
    error_at_ = at;
  }

  void step() {
    const size_t at = i_;
    const char c = p_[i_];
    switch (c) {
      case '.': ++i_; out_ += '.'; return;
      case '*': case '+': case '?': case '|':
        ++i_;
        out_ += c;
        return;
      case '(':
        ++i_;
        ++depth_;
        out_ += "(?:";
        return;
      case ')':
        ++i_;
        if (--depth_ < 0) return fail(at, "unbalanced ')'");
        out_ += ')';
        return;
      case '{': return repetition();
      case '[': return char_class();
      case '"': {
        ++i_;
        size_t close = p_.find('"', i_);
        if (close == std::string_view::npos) return fail(at, "unterminated \"quoted\" literal");
        out_ += "(?:";
        while (i_ < close) append_literal(out_, decode_utf8(p_, i_));
        out_ += ')';
        i_ = close + 1;
        return;
      }
      case '\\': {
        ++i_;
        if (i_ >= p_.size()) return fail(at, "trailing backslash");
        const char e = p_[i_];
        // Lucene 9 shorthand classes.
        if (e == 'd' || e == 'D' || e == 's' || e == 'S' || e == 'w' || e == 'W') {
          ++i_;
          out_ += '\\';
          out_ += e;
          return;
        }
        append_literal(out_, decode_utf8(p_, i_));
        return;
      }
      case '~':
        return fail(at, "the Lucene complement operator '~' cannot be translated to RE2");
      case '&':
        return fail(at, "the Lucene intersection operator '&' cannot be translated to RE2");
      case '@':
        return fail(at, "the Lucene any-string operator '@' is not supported (use .*)");
      case '#':
        return fail(at, "the Lucene empty-language operator '#' is not supported");
      case '<':
        return fail(at, "Lucene numeric intervals <n-m> are not supported");
      default:
        append_literal(out_, decode_utf8(p_, i_));
        return;
    }
  }

  void repetition() {
    const size_t at = i_;
    ++i_;
    size_t close = p_.find('}', i_);
    if (close == std::string_view::npos) return fail(at, "unterminated {n,m} repetition");
    std::string_view body = p_.substr(i_, close - i_);
    bool ok = !body.empty();
    int commas = 0;
    for (char ch : body) {
      if (ch == ',') ++commas;
      else if (ch < '0' || ch > '9') ok = false;
    }
    if (!ok || commas > 1 || body[0] == ',') return fail(at, "bad {n,m} repetition");
    if (out_.empty() || out_.back() == '|' || (out_.size() >= 3 && out_.compare(out_.size() - 3, 3, "(?:") == 0))
      return fail(at, "repetition with nothing to repeat");
    out_ += '{';
    out_ += body;
    out_ += '}';
    i_ = close + 1;
  }

  void char_class() {
    const size_t at = i_;
    ++i_;
    std::string cls = "[";
    if (i_ < p_.size() && p_[i_] == '^') {
      cls += '^';
      ++i_;
    }
    bool first = true;
    for (;;) {
      if (i_ >= p_.size()) return fail(at, "unterminated [character class]");
      char c = p_[i_];
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      uint32_t lo;
      if (c == '\\') {
        ++i_;
        if (i_ >= p_.size()) return fail(at, "unterminated [character class]");
        char e = p_[i_];
        if (e == 'd' || e == 'D' || e == 's' || e == 'S' || e == 'w' || e == 'W') {
          ++i_;
          cls += '\\';
          cls += e;
          continue;
        }
        lo = decode_utf8(p_, i_);
      } else {
        lo = decode_utf8(p_, i_);
      }
      append_class_literal(cls, lo);
      if (i_ + 1 < p_.size() && p_[i_] == '-' && p_[i_ + 1] != ']') {
        ++i_;
        uint32_t hi;
        if (p_[i_] == '\\') {
          ++i_;
          if (i_ >= p_.size()) return fail(at, "unterminated [character class]");
        }
        hi = decode_utf8(p_, i_);
        if (hi < lo) return fail(at, "invalid range in [character class]: end before start");
        cls += '-';
        append_class_literal(cls, hi);
      }
    }
    cls += ']';
    out_ += cls;
  }

  std::string_view p_;
  size_t i_ = 0;
  int depth_ = 0;
  std::string out_;
  std::string error_;
  size_t error_at_ = 0;
};

}  // namespace

RegexTranslation translate_lucene_regex(std::string_view lucene) { return Translator(lucene).run(); }

std::string wildcard_to_re2(std::string_view pattern, bool backslash_escapes) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '*') {
      out += ".*";
      ++i;
    } else if (c == '?') {
      out += '.';
      ++i;
    } else if (c == '\\' && backslash_escapes && i + 1 < pattern.size()) {
      ++i;
      append_literal(out, decode_utf8(pattern, i));
    } else {
      append_literal(out, decode_utf8(pattern, i));
    }
  }
  return out;
}

}  // namespace audetect::eql
