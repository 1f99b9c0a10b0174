#include "engine/timestamp.h"

#include <cstdio>

namespace audetect::engine {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

bool leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

}  // namespace

std::optional<int64_t> parse_iso8601_ms(std::string_view s) {
  unsigned year, month, day;
  if (!digits(s, 0, 4, year) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day))
    return std::nullopt;
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return std::nullopt;
  if (day > kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0)) return std::nullopt;
  int64_t ms = days_from_civil(year, month, day) * 86400000;
  size_t pos = 10;
  if (pos == s.size()) return ms;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  unsigned hh, mm, ss = 0;
  if (!digits(s, pos, 2, hh) || pos + 2 >= s.size() || s[pos + 2] != ':' || !digits(s, pos + 3, 2, mm))
    return std::nullopt;
  pos += 5;
  if (pos < s.size() && s[pos] == ':') {
    if (!digits(s, pos + 1, 2, ss)) return std::nullopt;
    pos += 3;
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  ms += (hh * 3600 + mm * 60 + ss) * int64_t{1000};
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    size_t start = pos;
    unsigned frac = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (pos - start < 3) frac = frac * 10 + static_cast<unsigned>(s[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (size_t n = pos - start; n < 3; ++n) frac *= 10;
    ms += frac;
  }
  if (pos == s.size()) return ms;  // no zone: UTC, as Elasticsearch assumes
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size() ? std::optional<int64_t>(ms) : std::nullopt;
  if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
  const int sign = s[pos] == '+' ? 1 : -1;
  unsigned oh, om = 0;
  if (!digits(s, pos + 1, 2, oh)) return std::nullopt;
  pos += 3;
  if (pos < s.size() && s[pos] == ':') ++pos;
  if (pos < s.size()) {
    if (!digits(s, pos, 2, om)) return std::nullopt;
    pos += 2;
  }
  if (pos != s.size() || oh > 23 || om > 59) return std::nullopt;
  return ms - sign * static_cast<int64_t>(oh * 3600 + om * 60) * 1000;
}

// Years 0000-9999, the range of the ISO form: keeps every later time computation far from overflow.
constexpr int64_t kMinMs = -62167219200000, kMaxMs = 253402300799999;

std::optional<int64_t> date_value_ms(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kString:
      return parse_iso8601_ms(v.as_string());
    case ValueKind::kInt:
      if (v.as_int() < kMinMs || v.as_int() > kMaxMs) return std::nullopt;
      return v.as_int();
    case ValueKind::kDouble: {
      double d = v.as_double();
      if (!(d >= static_cast<double>(kMinMs) && d <= static_cast<double>(kMaxMs))) return std::nullopt;  // and NaN
      return static_cast<int64_t>(d);
    }
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> event_time_ms(const Event& event, const FieldPath& path) {
  std::optional<int64_t> out;
  event.for_each_value(path, [&](const Value& v) {
    if (!out) out = date_value_ms(v);
  });
  return out;
}

void append_iso8601_ms(std::string& out, int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rem = ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(y), m, d,
                        static_cast<unsigned>(rem / 3600000), static_cast<unsigned>(rem / 60000 % 60),
                        static_cast<unsigned>(rem / 1000 % 60), static_cast<unsigned>(rem % 1000));
  if (n > 0) out.append(buf, static_cast<size_t>(n));
}

std::string format_iso8601_ms(int64_t ms) {
  std::string s;
  append_iso8601_ms(s, ms);
  return s;
}

}  // namespace audetect::engine
