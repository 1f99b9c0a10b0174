// Script values, the 16 Elasticsearch EQL functions, and the value parsers the type rules need
// (numbers, dates, IP addresses/CIDR blocks, versions, Java's rendering of numbers).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/arena.h"

namespace audetect::eql {

// A value computed by a script: three-valued (kNull) and typed. Strings are views into the event,
// the program's constant pool or the evaluation arena.
struct SValue {
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString };
  Kind kind = Kind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;

  static SValue null() { return {}; }
  static SValue boolean(bool v) { SValue x; x.kind = Kind::kBool; x.b = v; return x; }
  static SValue integer(int64_t v) { SValue x; x.kind = Kind::kInt; x.i = v; return x; }
  static SValue number(double v) { SValue x; x.kind = Kind::kDouble; x.d = v; return x; }
  static SValue string(std::string_view v) { SValue x; x.kind = Kind::kString; x.s = v; return x; }
  bool is_null() const { return kind == Kind::kNull; }
  bool is_number() const { return kind == Kind::kInt || kind == Kind::kDouble; }
  double as_double() const { return kind == Kind::kInt ? static_cast<double>(i) : d; }
};

enum class Fn : uint8_t {
  kAdd, kBetween, kCidrMatch, kConcat, kDivide, kEndsWith, kIndexOf, kLength, kModulo, kMultiply,
  kNumber, kStartsWith, kString, kStringContains, kSubstring, kSubtract,
};

struct FunctionInfo {
  std::string_view name;
  Fn fn;
  uint8_t min_args;
  uint8_t max_args;  // 255 = variadic
  bool has_insensitive_form;
};

const FunctionInfo* find_function(std::string_view name);
// The closest known function name (edit distance <= 2), for "did you mean".
std::string_view suggest_function(std::string_view name);
std::string_view suggest_name(std::string_view name, const std::vector<std::string_view>& candidates);
const std::vector<FunctionInfo>& all_functions();
// Endgame-only functions ES rejects, with the ES replacement ("" when none).
std::optional<std::string_view> endgame_function_replacement(std::string_view name);

// Raised while evaluating: ES reports these as query errors; audetect makes the predicate null.
enum class EvalError : uint8_t { kNone, kOverflow, kDivisionByZero, kBadNumber, kBadArgument };

struct EvalContext {
  Arena* arena = nullptr;  // for computed strings
  EvalError error = EvalError::kNone;
  std::string_view store(std::string_view s);  // copies into the arena
};

SValue call_function(Fn fn, bool insensitive, const SValue* args, size_t n, EvalContext& ctx);
SValue arithmetic(char op, const SValue& a, const SValue& b, EvalContext& ctx);  // + - * / %
SValue negate(const SValue& a, EvalContext& ctx);
// Three-valued comparison: null when either side is null or the kinds cannot be compared.
SValue compare_values(int op /*0 == 1 != 2 < 3 <= 4 > 5 >=*/, const SValue& a, const SValue& b);
// Text of a value as `string()` / `concat` render it (Java rendering of numbers).
std::string_view to_text(const SValue& v, EvalContext& ctx);

// Java's Double.toString / Long.toString.
std::string java_double_to_string(double d);

// Number parsing as `number()`/ES term parsing do: surrounding whitespace, sign, 0x prefix.
std::optional<SValue> parse_number(std::string_view s, int base = 10);

// ---- IP addresses: 16 bytes (IPv4 as IPv4-mapped IPv6).
using IpAddress = std::array<uint8_t, 16>;
std::optional<IpAddress> parse_ip(std::string_view s);
struct CidrBlock {
  IpAddress address{};
  uint32_t prefix = 128;
  bool contains(const IpAddress& ip) const;
};
// "10.0.0.0/8", "::1/128" or a bare address (a /32 or /128 block).
std::optional<CidrBlock> parse_cidr(std::string_view s);

// ---- dates: epoch milliseconds.
// `formats` are Elasticsearch date formats (named ones such as strict_date_optional_time,
// epoch_millis, epoch_second, or java-time patterns like yyyy-MM-dd); empty means the default
// strict_date_optional_time||epoch_millis.
std::optional<int64_t> parse_date(std::string_view s, const std::vector<std::string>& formats);
std::optional<int64_t> parse_iso8601(std::string_view s);

// ---- versions (Elasticsearch `version` type: semver ordering; invalid versions sort after).
int compare_versions(std::string_view a, std::string_view b);

}  // namespace audetect::eql
