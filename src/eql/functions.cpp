#include "eql/functions.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "eql/casefold.h"

namespace audetect::eql {

// ------------------------------------------------------------------ function table

const std::vector<FunctionInfo>& all_functions() {
  static const std::vector<FunctionInfo> kFunctions = {
      {"add", Fn::kAdd, 2, 2, false},
      {"between", Fn::kBetween, 3, 4, true},
      {"cidrMatch", Fn::kCidrMatch, 2, 255, false},
      {"concat", Fn::kConcat, 1, 255, false},
      {"divide", Fn::kDivide, 2, 2, false},
      {"endsWith", Fn::kEndsWith, 2, 2, true},
      {"indexOf", Fn::kIndexOf, 2, 3, true},
      {"length", Fn::kLength, 1, 1, false},
      {"modulo", Fn::kModulo, 2, 2, false},
      {"multiply", Fn::kMultiply, 2, 2, false},
      {"number", Fn::kNumber, 1, 2, false},
      {"startsWith", Fn::kStartsWith, 2, 2, true},
      {"string", Fn::kString, 1, 1, false},
      {"stringContains", Fn::kStringContains, 2, 2, true},
      {"substring", Fn::kSubstring, 2, 3, false},
      {"subtract", Fn::kSubtract, 2, 2, false},
  };
  return kFunctions;
}

const FunctionInfo* find_function(std::string_view name) {
  // ES resolves function names case-insensitively (cidrmatch, startswith are common in rules).
  auto same = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
  };
  for (const auto& f : all_functions())
    if (same(f.name, name)) return &f;
  return nullptr;
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const char ca = static_cast<char>(std::tolower(static_cast<unsigned char>(a[i - 1])));
      const char cb = static_cast<char>(std::tolower(static_cast<unsigned char>(b[j - 1])));
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca == cb ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string_view suggest_name(std::string_view name, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  size_t best_d = 3;
  for (auto c : candidates) {
    size_t d = edit_distance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string_view suggest_function(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& f : all_functions()) names.push_back(f.name);
  return suggest_name(name, names);
}

std::optional<std::string_view> endgame_function_replacement(std::string_view name) {
  if (name == "wildcard") return "use `field like \"pattern\"` or `field : \"pattern\"`";
  if (name == "match" || name == "matchLite") return "use `field regex \"pattern\"`";
  if (name == "arrayContains") return "use `field in (...)` (any value of a multi-valued field matches)";
  if (name == "arrayCount" || name == "arraySearch") return "";
  if (name == "safe") return "";
  return std::nullopt;
}

std::string_view EvalContext::store(std::string_view s) { return arena->copy(s); }

// ------------------------------------------------------------------ numbers

std::string java_double_to_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "-1.2345e+07"
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string mant = sci.substr(0, e);
  int exp = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  const double mag = std::fabs(d);
  if (mag >= 1e-3 && mag < 1e7) {
    if (exp >= 0) {
      std::string int_part = digits.substr(0, std::min<size_t>(digits.size(), static_cast<size_t>(exp) + 1));
      while (int_part.size() < static_cast<size_t>(exp) + 1) int_part += '0';
      std::string frac = digits.size() > static_cast<size_t>(exp) + 1 ? digits.substr(static_cast<size_t>(exp) + 1) : "0";
      out += int_part + "." + frac;
    } else {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1) + "." + (digits.size() > 1 ? digits.substr(1) : "0") + "E" + std::to_string(exp);
  return out;
}

std::optional<SValue> parse_number(std::string_view s, int base) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  bool neg = false;
  std::string_view body = s;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    base = 16;
    body.remove_prefix(2);
  }
  if (body.empty() || body[0] == '+' || body[0] == '-') return std::nullopt;
  if (base < 2 || base > 36) return std::nullopt;
  uint64_t mag = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), mag, base);
  if (ec == std::errc() && p == body.data() + body.size()) {
    if (!neg && mag <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return SValue::integer(static_cast<int64_t>(mag));
    if (neg && mag <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1)
      return SValue::integer(static_cast<int64_t>(0 - mag));
    if (base != 10) return std::nullopt;
  } else if (base != 10) {
    return std::nullopt;
  }
  // Decimal / exponent form.
  for (char c : body)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return std::nullopt;
  double d = 0;
  auto [p2, ec2] = std::from_chars(body.data(), body.data() + body.size(), d);
  if (ec2 != std::errc() || p2 != body.data() + body.size()) return std::nullopt;
  return SValue::number(neg ? -d : d);
}

// ------------------------------------------------------------------ text

std::string_view to_text(const SValue& v, EvalContext& ctx) {
  switch (v.kind) {
    case SValue::Kind::kNull: return "null";
    case SValue::Kind::kBool: return v.b ? "true" : "false";
    case SValue::Kind::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.i);
      return ctx.store({buf, static_cast<size_t>(r.ptr - buf)});
    }
    case SValue::Kind::kDouble: return ctx.store(java_double_to_string(v.d));
    case SValue::Kind::kString: return v.s;
  }
  return {};
}

namespace {

// Byte offset of the first occurrence of `sub` in `s` at or after byte `from`, comparing code
// points case-insensitively when asked; npos when absent. Returns the match length in `len`.
size_t find_text(std::string_view s, std::string_view sub, size_t from, bool insensitive, size_t* len = nullptr) {
  if (len) *len = sub.size();
  if (!insensitive) return s.find(sub, from);
  for (size_t start = from; start <= s.size(); ) {
    size_t i = start, j = 0;
    bool ok = true;
    while (j < sub.size()) {
      if (i >= s.size()) {
        ok = false;
        break;
      }
      uint32_t a = fold_code_point(decode_utf8(s, i));
      uint32_t b = fold_code_point(decode_utf8(sub, j));
      if (a != b) {
        ok = false;
        break;
      }
    }
    if (ok) {
      if (len) *len = i - start;
      return start;
    }
    if (start == s.size()) break;
    decode_utf8(s, start);
  }
  return std::string_view::npos;
}

size_t rfind_text(std::string_view s, std::string_view sub, bool insensitive, size_t* len) {
  size_t last = std::string_view::npos;
  size_t from = 0;
  for (;;) {
    size_t l = 0;
    size_t at = find_text(s, sub, from, insensitive, &l);
    if (at == std::string_view::npos) break;
    last = at;
    *len = l;
    if (at >= s.size()) break;
    from = at;
    decode_utf8(s, from);
  }
  return last;
}

bool starts_with_text(std::string_view s, std::string_view p, bool insensitive) {
  if (!insensitive) return s.starts_with(p);
  thread_local std::string fs, fp;
  return fold_into(s, fs).starts_with(fold_into(p, fp));
}

bool ends_with_text(std::string_view s, std::string_view p, bool insensitive) {
  if (!insensitive) return s.ends_with(p);
  thread_local std::string fs, fp;
  return fold_into(s, fs).ends_with(fold_into(p, fp));
}

bool checked_add(int64_t a, int64_t b, int64_t& r) { return !__builtin_add_overflow(a, b, &r); }
bool checked_sub(int64_t a, int64_t b, int64_t& r) { return !__builtin_sub_overflow(a, b, &r); }
bool checked_mul(int64_t a, int64_t b, int64_t& r) { return !__builtin_mul_overflow(a, b, &r); }

}  // namespace

SValue arithmetic(char op, const SValue& a, const SValue& b, EvalContext& ctx) {
  if (a.is_null() || b.is_null()) return SValue::null();
  if (!a.is_number() || !b.is_number()) {
    ctx.error = EvalError::kBadArgument;
    return SValue::null();
  }
  if (a.kind == SValue::Kind::kInt && b.kind == SValue::Kind::kInt) {
    int64_t r = 0;
    switch (op) {
      case '+': if (!checked_add(a.i, b.i, r)) { ctx.error = EvalError::kOverflow; return SValue::null(); } return SValue::integer(r);
      case '-': if (!checked_sub(a.i, b.i, r)) { ctx.error = EvalError::kOverflow; return SValue::null(); } return SValue::integer(r);
      case '*': if (!checked_mul(a.i, b.i, r)) { ctx.error = EvalError::kOverflow; return SValue::null(); } return SValue::integer(r);
      case '/':
      case '%':
        if (b.i == 0) {
          ctx.error = EvalError::kDivisionByZero;
          return SValue::null();
        }
        if (a.i == std::numeric_limits<int64_t>::min() && b.i == -1) {
          if (op == '%') return SValue::integer(0);
          ctx.error = EvalError::kOverflow;
          return SValue::null();
        }
        return SValue::integer(op == '/' ? a.i / b.i : a.i % b.i);
      default: break;
    }
    return SValue::null();
  }
  const double x = a.as_double(), y = b.as_double();
  switch (op) {
    case '+': return SValue::number(x + y);
    case '-': return SValue::number(x - y);
    case '*': return SValue::number(x * y);
    case '/': return SValue::number(x / y);
    case '%': return SValue::number(std::fmod(x, y));
    default: return SValue::null();
  }
}

SValue negate(const SValue& a, EvalContext& ctx) {
  if (a.is_null()) return a;
  if (a.kind == SValue::Kind::kInt) {
    if (a.i == std::numeric_limits<int64_t>::min()) {
      ctx.error = EvalError::kOverflow;
      return SValue::null();
    }
    return SValue::integer(-a.i);
  }
  if (a.kind == SValue::Kind::kDouble) return SValue::number(-a.d);
  ctx.error = EvalError::kBadArgument;
  return SValue::null();
}

SValue compare_values(int op, const SValue& a, const SValue& b) {
  if (a.is_null() || b.is_null()) return SValue::null();
  int c;
  if (a.is_number() && b.is_number()) {
    if (a.kind == SValue::Kind::kInt && b.kind == SValue::Kind::kInt) {
      c = a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
    } else {
      double x = a.as_double(), y = b.as_double();
      if (std::isnan(x) || std::isnan(y)) return SValue::boolean(op == 1);
      c = x < y ? -1 : x > y ? 1 : 0;
    }
  } else if (a.kind == SValue::Kind::kString && b.kind == SValue::Kind::kString) {
    int r = a.s.compare(b.s);
    c = r < 0 ? -1 : r > 0 ? 1 : 0;
  } else if (a.kind == SValue::Kind::kBool && b.kind == SValue::Kind::kBool) {
    c = static_cast<int>(a.b) - static_cast<int>(b.b);
  } else {
    return SValue::null();
  }
  switch (op) {
    case 0: return SValue::boolean(c == 0);
    case 1: return SValue::boolean(c != 0);
    case 2: return SValue::boolean(c < 0);
    case 3: return SValue::boolean(c <= 0);
    case 4: return SValue::boolean(c > 0);
    case 5: return SValue::boolean(c >= 0);
    default: return SValue::null();
  }
}

SValue call_function(Fn fn, bool insensitive, const SValue* args, size_t n, EvalContext& ctx) {
  auto str_arg = [&](size_t k) -> std::optional<std::string_view> {
    if (k >= n || args[k].is_null()) return std::nullopt;
    if (args[k].kind != SValue::Kind::kString) return to_text(args[k], ctx);
    return args[k].s;
  };
  switch (fn) {
    case Fn::kAdd: return arithmetic('+', args[0], args[1], ctx);
    case Fn::kSubtract: return arithmetic('-', args[0], args[1], ctx);
    case Fn::kMultiply: return arithmetic('*', args[0], args[1], ctx);
    case Fn::kDivide: return arithmetic('/', args[0], args[1], ctx);
    case Fn::kModulo: return arithmetic('%', args[0], args[1], ctx);
    case Fn::kBetween: {
      auto s = str_arg(0), left = str_arg(1), right = str_arg(2);
      if (!s || !left || !right) return SValue::null();
      const bool greedy = n > 3 && args[3].kind == SValue::Kind::kBool && args[3].b;
      if (s->empty() || left->empty() || right->empty()) return SValue::string(*s);
      size_t llen = 0;
      size_t at = find_text(*s, *left, 0, insensitive, &llen);
      if (at == std::string_view::npos) return SValue::string("");
      const size_t start = at + llen;
      size_t end;
      if (greedy) {
        size_t rlen = 0;
        end = rfind_text(*s, *right, insensitive, &rlen);
        if (end == std::string_view::npos) return SValue::string("");
        if (end < start) {
          ctx.error = EvalError::kBadArgument;
          return SValue::null();
        }
      } else {
        end = find_text(*s, *right, start, insensitive);
        if (end == std::string_view::npos) return SValue::string("");
      }
      return SValue::string(s->substr(start, end - start));
    }
    case Fn::kCidrMatch: {
      if (args[0].is_null()) return SValue::null();
      auto addr_text = str_arg(0);
      std::optional<IpAddress> ip = addr_text ? parse_ip(*addr_text) : std::nullopt;
      bool any = false;
      for (size_t k = 1; k < n; ++k) {
        auto block_text = str_arg(k);
        if (!block_text) return SValue::null();
        auto block = parse_cidr(*block_text);
        if (!block) {
          ctx.error = EvalError::kBadArgument;
          return SValue::null();
        }
        if (ip && block->contains(*ip)) any = true;
      }
      return SValue::boolean(any);
    }
    case Fn::kConcat: {
      std::string out;
      for (size_t k = 0; k < n; ++k) {
        if (args[k].is_null()) return SValue::null();
        out += to_text(args[k], ctx);
      }
      return SValue::string(ctx.store(out));
    }
    case Fn::kEndsWith: {
      auto s = str_arg(0), p = str_arg(1);
      if (!s || !p) return SValue::null();
      return SValue::boolean(ends_with_text(*s, *p, insensitive));
    }
    case Fn::kStartsWith: {
      auto s = str_arg(0), p = str_arg(1);
      if (!s || !p) return SValue::null();
      return SValue::boolean(starts_with_text(*s, *p, insensitive));
    }
    case Fn::kStringContains: {
      auto s = str_arg(0), p = str_arg(1);
      if (!s || !p) return SValue::null();
      if (s->empty() || p->empty()) return SValue::boolean(false);
      return SValue::boolean(find_text(*s, *p, 0, insensitive) != std::string_view::npos);
    }
    case Fn::kIndexOf: {
      auto s = str_arg(0), sub = str_arg(1);
      if (!s || !sub) return SValue::null();
      int64_t start = 0;
      if (n > 2 && args[2].is_number()) start = args[2].kind == SValue::Kind::kInt ? args[2].i : static_cast<int64_t>(args[2].d);
      if (start < 0) start = 0;
      const auto len = static_cast<int64_t>(utf16_length(*s));
      if (sub->empty()) return SValue::integer(std::min(start, len));
      if (start >= len) return SValue::null();
      size_t from = byte_offset_of_utf16(*s, static_cast<size_t>(start));
      size_t at = find_text(*s, *sub, from, insensitive);
      if (at == std::string_view::npos) return SValue::null();
      return SValue::integer(static_cast<int64_t>(utf16_length(s->substr(0, at))));
    }
    case Fn::kLength: {
      auto s = str_arg(0);
      if (!s) return SValue::null();
      return SValue::integer(static_cast<int64_t>(utf16_length(*s)));
    }
    case Fn::kNumber: {
      auto s = str_arg(0);
      if (!s) return SValue::null();
      int base = 10;
      if (n > 1 && args[1].kind == SValue::Kind::kInt) base = static_cast<int>(args[1].i);
      auto v = parse_number(*s, base);
      if (!v) {
        ctx.error = EvalError::kBadNumber;
        return SValue::null();
      }
      return *v;
    }
    case Fn::kString: {
      if (args[0].is_null()) return SValue::null();
      return SValue::string(to_text(args[0], ctx));
    }
    case Fn::kSubstring: {
      auto s = str_arg(0);
      if (!s) return SValue::null();
      const auto len = static_cast<int64_t>(utf16_length(*s));
      auto pos = [&](size_t k, int64_t dflt) -> int64_t {
        if (k >= n || args[k].is_null()) return dflt;
        int64_t v = args[k].kind == SValue::Kind::kInt ? args[k].i : static_cast<int64_t>(args[k].as_double());
        if (v < 0) v += len;
        return std::clamp<int64_t>(v, 0, len);
      };
      int64_t b = pos(1, 0), e = pos(2, len);
      if (b >= e) return SValue::string("");
      size_t bb = byte_offset_of_utf16(*s, static_cast<size_t>(b));
      size_t eb = byte_offset_of_utf16(*s, static_cast<size_t>(e));
      return SValue::string(s->substr(bb, eb - bb));
    }
  }
  return SValue::null();
}

// ------------------------------------------------------------------ IP

std::optional<IpAddress> parse_ip(std::string_view s) {
  if (s.empty() || s.size() > 64) return std::nullopt;
  char buf[65];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  IpAddress out{};
  in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool CidrBlock::contains(const IpAddress& ip) const {
  uint32_t bits = prefix;
  for (size_t i = 0; i < 16 && bits > 0; ++i) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip[i] & mask) != (address[i] & mask)) return false;
    bits = bits >= 8 ? bits - 8 : 0;
  }
  return true;
}

std::optional<CidrBlock> parse_cidr(std::string_view s) {
  size_t slash = s.find('/');
  auto ip = parse_ip(s.substr(0, slash));
  if (!ip) return std::nullopt;
  const bool v4 = s.substr(0, slash).find(':') == std::string_view::npos;
  CidrBlock block;
  block.address = *ip;
  if (slash == std::string_view::npos) {
    block.prefix = 128;
    return block;
  }
  std::string_view bits = s.substr(slash + 1);
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
  if (ec != std::errc() || p != bits.data() + bits.size() || bits.empty()) return std::nullopt;
  if (n > (v4 ? 32u : 128u)) return std::nullopt;
  block.prefix = v4 ? n + 96 : n;
  return block;
}

// ------------------------------------------------------------------ dates

namespace {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool read_digits(std::string_view s, size_t& i, size_t min, size_t max, int64_t& out) {
  size_t n = 0;
  out = 0;
  while (i < s.size() && n < max && std::isdigit(static_cast<unsigned char>(s[i]))) {
    out = out * 10 + (s[i] - '0');
    ++i;
    ++n;
  }
  return n >= min;
}

struct DateParts {
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0, offset_minutes = 0;
  std::optional<int64_t> to_millis() const {
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return std::nullopt;
    int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return ((days * 24 + hour) * 60 + minute - offset_minutes) * 60000 + second * 1000 + millis;
  }
};

bool read_offset(std::string_view s, size_t& i, DateParts& p) {
  if (i >= s.size()) return true;
  if (s[i] == 'Z' || s[i] == 'z') {
    ++i;
    return true;
  }
  if (s[i] != '+' && s[i] != '-') return false;
  int sign = s[i] == '-' ? -1 : 1;
  ++i;
  int64_t hh = 0, mm = 0;
  if (!read_digits(s, i, 2, 2, hh)) return false;
  if (i < s.size() && s[i] == ':') ++i;
  if (i < s.size()) read_digits(s, i, 2, 2, mm);
  p.offset_minutes = sign * (hh * 60 + mm);
  return true;
}

std::optional<int64_t> parse_epoch(std::string_view s, int64_t scale) {
  auto v = parse_number(s);
  if (!v) return std::nullopt;
  if (v->kind == SValue::Kind::kInt) {
    int64_t r;
    if (__builtin_mul_overflow(v->i, scale, &r)) return std::nullopt;
    return r;
  }
  double d = v->d * static_cast<double>(scale);
  if (!std::isfinite(d) || std::fabs(d) > 9e18) return std::nullopt;
  return static_cast<int64_t>(d);
}

// A java-time pattern such as "dd-MM-yyyy" or "yyyy-MM-dd'T'HH:mm:ss.SSSZ".
std::optional<int64_t> parse_pattern(std::string_view s, std::string_view pattern) {
  DateParts p;
  size_t i = 0, k = 0;
  while (k < pattern.size()) {
    char c = pattern[k];
    size_t run = 1;
    while (k + run < pattern.size() && pattern[k + run] == c) ++run;
    if (c == '\'') {
      size_t close = pattern.find('\'', k + 1);
      if (close == std::string_view::npos) return std::nullopt;
      std::string_view lit = pattern.substr(k + 1, close - k - 1);
      if (s.substr(i, lit.size()) != lit) return std::nullopt;
      i += lit.size();
      k = close + 1;
      continue;
    }
    int64_t v = 0;
    switch (c) {
      case 'y': case 'u': if (!read_digits(s, i, run == 2 ? 2 : 1, run == 2 ? 2 : 9, v)) return std::nullopt; p.year = v; break;
      case 'M': if (!read_digits(s, i, run, 2, v)) return std::nullopt; p.month = v; break;
      case 'd': if (!read_digits(s, i, run, 2, v)) return std::nullopt; p.day = v; break;
      case 'H': if (!read_digits(s, i, run, 2, v)) return std::nullopt; p.hour = v; break;
      case 'm': if (!read_digits(s, i, run, 2, v)) return std::nullopt; p.minute = v; break;
      case 's': if (!read_digits(s, i, run, 2, v)) return std::nullopt; p.second = v; break;
      case 'S': {
        size_t b = i;
        if (!read_digits(s, i, 1, 9, v)) return std::nullopt;
        size_t nd = i - b;
        while (nd > 3) { v /= 10; --nd; }
        while (nd < 3) { v *= 10; ++nd; }
        p.millis = v;
        break;
      }
      case 'X': case 'Z': case 'x': if (!read_offset(s, i, p)) return std::nullopt; break;
      default:
        if (std::isalpha(static_cast<unsigned char>(c))) return std::nullopt;  // unsupported letter
        for (size_t r = 0; r < run; ++r) {
          if (i >= s.size() || s[i] != c) return std::nullopt;
          ++i;
        }
        break;
    }
    k += run;
  }
  if (i != s.size()) return std::nullopt;
  return p.to_millis();
}

}  // namespace

std::optional<int64_t> parse_iso8601(std::string_view s) {
  DateParts p;
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    neg = s[i] == '-';
    ++i;
  }
  if (!read_digits(s, i, 4, 9, p.year)) return std::nullopt;
  if (neg) p.year = -p.year;
  if (i < s.size() && s[i] == '-') {
    ++i;
    if (!read_digits(s, i, 2, 2, p.month)) return std::nullopt;
    if (i < s.size() && s[i] == '-') {
      ++i;
      if (!read_digits(s, i, 2, 2, p.day)) return std::nullopt;
    }
  }
  if (i < s.size() && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
    ++i;
    if (!read_digits(s, i, 2, 2, p.hour)) return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!read_digits(s, i, 2, 2, p.minute)) return std::nullopt;
      if (i < s.size() && s[i] == ':') {
        ++i;
        if (!read_digits(s, i, 2, 2, p.second)) return std::nullopt;
        if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
          ++i;
          size_t b = i;
          int64_t frac = 0;
          if (!read_digits(s, i, 1, 9, frac)) return std::nullopt;
          size_t nd = i - b;
          while (nd > 3) { frac /= 10; --nd; }
          while (nd < 3) { frac *= 10; ++nd; }
          p.millis = frac;
        }
      }
    }
    if (!read_offset(s, i, p)) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return p.to_millis();
}

std::optional<int64_t> parse_date(std::string_view s, const std::vector<std::string>& formats) {
  static const std::vector<std::string> kDefault = {"strict_date_optional_time", "epoch_millis"};
  const auto& fs = formats.empty() ? kDefault : formats;
  for (const auto& f : fs) {
    std::optional<int64_t> r;
    if (f == "epoch_millis") r = parse_epoch(s, 1);
    else if (f == "epoch_second") r = parse_epoch(s, 1000);
    else if (f.find("date") != std::string::npos || f.find("time") != std::string::npos || f == "basic_date") r = parse_iso8601(s);
    else r = parse_pattern(s, f);
    if (r) return r;
  }
  return std::nullopt;
}

// ------------------------------------------------------------------ versions

namespace {

struct ParsedVersion {
  bool valid = false;
  std::vector<uint64_t> main;
  std::vector<std::string_view> pre;
};

ParsedVersion parse_version(std::string_view v) {
  ParsedVersion p;
  std::string_view core = v.substr(0, v.find('+'));
  size_t dash = core.find('-');
  std::string_view nums = core.substr(0, dash);
  if (nums.empty()) return p;
  size_t start = 0;
  for (;;) {
    size_t dot = nums.find('.', start);
    std::string_view part = nums.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    uint64_t n = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size()) return p;
    p.main.push_back(n);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (dash != std::string_view::npos) {
    std::string_view pre = core.substr(dash + 1);
    if (pre.empty()) return p;
    size_t s = 0;
    for (;;) {
      size_t dot = pre.find('.', s);
      std::string_view id = pre.substr(s, dot == std::string_view::npos ? std::string_view::npos : dot - s);
      if (id.empty()) return p;
      p.pre.push_back(id);
      if (dot == std::string_view::npos) break;
      s = dot + 1;
    }
  }
  p.valid = true;
  return p;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

int compare_versions(std::string_view a, std::string_view b) {
  ParsedVersion pa = parse_version(a), pb = parse_version(b);
  if (pa.valid != pb.valid) return pa.valid ? -1 : 1;
  if (!pa.valid) return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
  for (size_t i = 0; i < std::max(pa.main.size(), pb.main.size()); ++i) {
    if (i >= pa.main.size()) return -1;
    if (i >= pb.main.size()) return 1;
    if (pa.main[i] != pb.main[i]) return pa.main[i] < pb.main[i] ? -1 : 1;
  }
  if (pa.pre.empty() != pb.pre.empty()) return pa.pre.empty() ? 1 : -1;
  for (size_t i = 0; i < std::max(pa.pre.size(), pb.pre.size()); ++i) {
    if (i >= pa.pre.size()) return -1;
    if (i >= pb.pre.size()) return 1;
    bool na = all_digits(pa.pre[i]), nb = all_digits(pb.pre[i]);
    if (na && nb) {
      if (pa.pre[i].size() != pb.pre[i].size()) return pa.pre[i].size() < pb.pre[i].size() ? -1 : 1;
    } else if (na != nb) {
      return na ? -1 : 1;
    }
    int c = pa.pre[i].compare(pb.pre[i]);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  return 0;
}

}  // namespace audetect::eql
