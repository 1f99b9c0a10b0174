// Rule model helpers: enumerations, date math, durations, positions.
#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/format.h>

#include "rules/rules.h"

namespace audetect::rules {

std::string to_string(const SourcePosition& position) {
  if (position.line == 0) return position.file;
  return fmt::format("{}:{}:{}", position.file, position.line, position.column);
}

std::string to_string(const Diagnostic& diagnostic) {
  return fmt::format("{}: {}: {}", to_string(diagnostic.where),
                     diagnostic.level == Diagnostic::Level::kError ? "error" : "warning",
                     diagnostic.message);
}

namespace {
constexpr std::array<std::pair<RuleType, std::string_view>, 8> kRuleTypes{{
    {RuleType::kQuery, "query"},
    {RuleType::kSavedQuery, "saved_query"},
    {RuleType::kEql, "eql"},
    {RuleType::kEsql, "esql"},
    {RuleType::kThreshold, "threshold"},
    {RuleType::kThreatMatch, "threat_match"},
    {RuleType::kNewTerms, "new_terms"},
    {RuleType::kMachineLearning, "machine_learning"},
}};
constexpr std::array<std::pair<QueryLanguage, std::string_view>, 5> kLanguages{{
    {QueryLanguage::kNone, ""},
    {QueryLanguage::kKuery, "kuery"},
    {QueryLanguage::kLucene, "lucene"},
    {QueryLanguage::kEql, "eql"},
    {QueryLanguage::kEsql, "esql"},
}};
constexpr std::array<std::pair<Severity, std::string_view>, 4> kSeverities{{
    {Severity::kLow, "low"},
    {Severity::kMedium, "medium"},
    {Severity::kHigh, "high"},
    {Severity::kCritical, "critical"},
}};

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}
template <class E, std::size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& table,
                          std::string_view text) {
  for (const auto& [e, name] : table) {
    if (name == text && !name.empty()) return e;
  }
  return std::nullopt;
}

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// Milliseconds per date-math unit for offsets. Months and years have no fixed length; Elasticsearch
// adds calendar months/years, which DateMath::resolve does; this is only used for the fixed units.
std::optional<std::int64_t> fixed_unit_ms(char unit) {
  switch (unit) {
    case 's': return kSecond;
    case 'm': return kMinute;
    case 'h':
    case 'H': return kHour;
    case 'd': return kDay;
    case 'w': return 7 * kDay;
    default: return std::nullopt;
  }
}

bool is_date_math_unit(char c) {
  return c == 'y' || c == 'M' || c == 'w' || c == 'd' || c == 'h' || c == 'H' || c == 'm' || c == 's';
}

// Reads an unsigned decimal at text[i...]; bounded so a hostile value cannot overflow.
std::optional<std::int64_t> read_number(std::string_view text, std::size_t& i) {
  std::int64_t value = 0;
  const char* begin = text.data() + i;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || ptr == begin || value < 0 || value > 1'000'000'000) return std::nullopt;
  i += static_cast<std::size_t>(ptr - begin);
  return value;
}
}  // namespace

std::string_view to_string(RuleType type) { return name_of(kRuleTypes, type); }
std::string_view to_string(QueryLanguage language) { return name_of(kLanguages, language); }
std::string_view to_string(Severity severity) { return name_of(kSeverities, severity); }
std::optional<RuleType> parse_rule_type(std::string_view text) { return value_of(kRuleTypes, text); }
std::optional<QueryLanguage> parse_query_language(std::string_view text) {
  return value_of(kLanguages, text);
}
std::optional<Severity> parse_severity(std::string_view text) { return value_of(kSeverities, text); }

Result<Millis> parse_duration(std::string_view text) {
  std::size_t i = 0;
  auto number = read_number(text, i);
  if (!number) return Status::invalid(fmt::format("invalid duration \"{}\": expected <number><s|m|h|d>", text));
  std::string_view unit = text.substr(i);
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = kSecond;
  else if (unit == "m") scale = kMinute;
  else if (unit == "h") scale = kHour;
  else if (unit == "d") scale = kDay;
  else return Status::invalid(fmt::format("invalid duration \"{}\": unit must be s, m, h or d", text));
  if (*number == 0) return Status::invalid(fmt::format("invalid duration \"{}\": must be positive", text));
  return Millis(*number * scale);
}

Result<DateMath> parse_date_math(std::string_view text) {
  DateMath math;
  math.text = std::string(text);
  if (text.substr(0, 3) != "now") {
    return Status::invalid(fmt::format(
        "unsupported date math \"{}\": expected an expression relative to now, e.g. now-9m", text));
  }
  std::size_t i = 3;
  std::int64_t offset = 0;
  while (i < text.size()) {
    char op = text[i];
    if (op == '/') {
      if (i + 2 != text.size() || !is_date_math_unit(text[i + 1])) {
        return Status::invalid(fmt::format("invalid date math \"{}\": rounding must be /<unit> at the end", text));
      }
      math.round_unit = text[i + 1];
      break;
    }
    if (op != '+' && op != '-') {
      return Status::invalid(fmt::format("invalid date math \"{}\": unexpected '{}' at offset {}", text, op, i));
    }
    ++i;
    auto number = read_number(text, i);
    if (!number || i >= text.size() || !is_date_math_unit(text[i])) {
      return Status::invalid(fmt::format("invalid date math \"{}\": expected <number><unit> after '{}'", text, op));
    }
    char unit = text[i++];
    // Offsets are kept in milliseconds; months and years use their average length here, which is exact
    // enough for look-back arithmetic (rules use m/h/d).
    std::int64_t scale = unit == 'y' ? 365 * kDay : unit == 'M' ? 30 * kDay : *fixed_unit_ms(unit);
    offset += (op == '-' ? -1 : 1) * *number * scale;
  }
  math.offset = Millis(offset);
  return math;
}

std::int64_t DateMath::resolve(std::int64_t now_ms) const {
  std::int64_t t = now_ms + offset.count();
  if (round_unit == 0) return t;
  auto floor_to = [](std::int64_t v, std::int64_t step) {
    std::int64_t r = v % step;
    return r < 0 ? v - r - step : v - r;
  };
  if (auto fixed = fixed_unit_ms(round_unit); fixed && round_unit != 'w') return floor_to(t, *fixed);
  using namespace std::chrono;
  sys_days day{floor<days>(sys_time<milliseconds>(milliseconds(t)))};
  if (round_unit == 'w') {
    // ISO weeks start on Monday.
    weekday wd{day};
    day -= days((wd.c_encoding() + 6) % 7);
    return duration_cast<milliseconds>(day.time_since_epoch()).count();
  }
  year_month_day ymd{day};
  year_month_day start = round_unit == 'M' ? ymd.year() / ymd.month() / 1 : ymd.year() / January / 1;
  return duration_cast<milliseconds>(sys_days{start}.time_since_epoch()).count();
}

std::string_view Rule::window_timestamp_field() const {
  return timestamp_override.empty() ? std::string_view("@timestamp") : std::string_view(timestamp_override);
}

Millis Rule::window_width() const { return to.offset - from.offset; }

Millis Rule::additional_look_back() const { return window_width() - interval; }

namespace {
// Glob match with '*' (index patterns use no other wildcard).
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// Index patterns of an ES|QL query's leading `FROM a, b METADATA ...` command.
std::vector<std::string> esql_from_patterns(std::string_view query) {
  std::vector<std::string> out;
  std::size_t i = query.find_first_not_of(" \t\r\n");
  if (i == std::string_view::npos || query.size() - i < 5) return out;
  std::string_view rest = query.substr(i);
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
  const char* from = "from ";
  for (int k = 0; k < 5; ++k) {
    if (lower(rest[k]) != from[k]) return out;
  }
  rest.remove_prefix(5);
  std::string current;
  auto finish = [&] {
    if (!current.empty()) out.push_back(std::move(current));
    current.clear();
  };
  for (std::size_t k = 0; k < rest.size(); ++k) {
    char c = rest[k];
    if (c == '|' || c == '\n') break;
    if (c == ',' || c == ' ' || c == '\t' || c == '\r') {
      finish();
      // METADATA ends the pattern list.
      std::string_view tail = rest.substr(k + 1);
      if (tail.size() >= 8) {
        std::string word;
        for (std::size_t w = 0; w < 8; ++w) word += lower(tail[w]);
        if (word == "metadata") break;
      }
      continue;
    }
    current += c;
  }
  finish();
  return out;
}
}  // namespace

bool Rule::targets_audit_data() const {
  // The data streams audetect's documents would be written to (docs/detection-engine.md §14.3).
  static constexpr std::string_view kAuditIndices[] = {"auditbeat-8.0.0", "logs-auditd_manager.auditd-default"};
  std::vector<std::string> patterns = type == RuleType::kEsql ? esql_from_patterns(query) : index;
  for (const auto& pattern : patterns) {
    for (std::string_view audit_index : kAuditIndices) {
      if (glob_match(pattern, audit_index)) return true;
    }
  }
  return false;
}

SourcePosition Rule::query_position(std::uint32_t line, std::uint32_t column) const {
  SourcePosition position = query_origin;
  if (position.line == 0 || line == 0) return position;
  if (!query_anchors.empty()) {
    // Escapes make the query and the file text differ: walk from the last anchor at or before the offset.
    std::size_t offset = 0;
    for (std::uint32_t l = 1; l < line && offset < query.size(); ++l) {
      std::size_t nl = query.find('\n', offset);
      offset = nl == std::string::npos ? query.size() : nl + 1;
    }
    offset = std::min<std::size_t>(offset + (column > 0 ? column - 1 : 0), query.size());
    auto after = std::upper_bound(query_anchors.begin(), query_anchors.end(), offset,
                                  [](std::size_t o, const QueryAnchor& a) { return o < a.offset; });
    std::size_t walk_from = 0;
    if (after != query_anchors.begin()) {
      const QueryAnchor& anchor = *std::prev(after);
      walk_from = anchor.offset;
      position.line = anchor.line;
      position.column = anchor.column;
    }
    for (std::size_t i = walk_from; i < offset; ++i) {
      if (query[i] == '\n') {
        ++position.line;
        position.column = 1;
      } else {
        ++position.column;
      }
    }
    return position;
  }
  if (line == 1) {
    position.column = query_origin.column + column - 1;
  } else {
    position.line = query_origin.line + line - 1;
    position.column = column;
  }
  return position;
}

}  // namespace audetect::rules
