#include "eql/ordering.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace audetect::eql {

namespace {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;
// Dates beyond ±290 years of 1970 overflow int64 nanoseconds; ES's date type stops at year 292278994,
// but no audit timestamp is that far out.
constexpr int64_t kMaxMillis = std::numeric_limits<int64_t>::max() / kNanosPerMilli - 1;

bool digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly n digits at text[pos].
bool fixed_digits(std::string_view text, size_t& pos, size_t n, int64_t& out) {
  if (n > 18 || pos + n > text.size()) return false;  // 18 digits always fit in int64
  int64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (!digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  out = v;
  return true;
}

// Reads 1..max digits.
bool var_digits(std::string_view text, size_t& pos, size_t max, int64_t& out, size_t* count = nullptr) {
  size_t n = 0;
  int64_t v = 0;
  while (pos + n < text.size() && n < max && digit(text[pos + n])) {
    v = v * 10 + (text[pos + n] - '0');
    ++n;
  }
  if (n == 0) return false;
  pos += n;
  out = v;
  if (count) *count = n;
  return true;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2) {
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[m - 1];
}

struct DateParts {
  int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0;
  int64_t offset_seconds = 0;
  bool pm = false, has_ampm = false;
};

std::optional<int64_t> to_nanos(const DateParts& p) {
  if (p.month < 1 || p.month > 12) return std::nullopt;
  if (p.day < 1 || p.day > static_cast<int64_t>(days_in_month(p.year, static_cast<unsigned>(p.month))))
    return std::nullopt;
  int64_t hour = p.hour;
  if (p.has_ampm) {
    if (hour < 1 || hour > 12) return std::nullopt;
    hour = hour % 12 + (p.pm ? 12 : 0);
  }
  if (hour > 24 || p.minute > 59 || p.second > 60) return std::nullopt;
  if (p.year < 1678 || p.year > 2261) return std::nullopt;  // int64 nanosecond range
  int64_t days = days_from_civil(p.year, static_cast<unsigned>(p.month), static_cast<unsigned>(p.day));
  int64_t secs = days * 86400 + hour * 3600 + p.minute * 60 + p.second - p.offset_seconds;
  return secs * kNanosPerSecond + p.nanos;
}

// Fraction digits -> nanoseconds (extra digits beyond 9 are ignored).
int64_t fraction_nanos(std::string_view digits) {
  int64_t v = 0;
  size_t n = 0;
  for (; n < digits.size() && n < 9; ++n) v = v * 10 + (digits[n] - '0');
  for (; n < 9; ++n) v *= 10;
  return v;
}

bool parse_zone(std::string_view text, size_t& pos, int64_t& offset) {
  if (pos >= text.size()) return false;
  char c = text[pos];
  if (c == 'Z' || c == 'z') {
    ++pos;
    offset = 0;
    return true;
  }
  if (c != '+' && c != '-') return false;
  ++pos;
  int64_t hh = 0, mm = 0;
  if (!fixed_digits(text, pos, 2, hh)) return false;
  if (pos < text.size() && text[pos] == ':') ++pos;
  if (pos < text.size() && digit(text[pos]) && !fixed_digits(text, pos, 2, mm)) return false;
  if (hh > 18 || mm > 59) return false;
  offset = (hh * 3600 + mm * 60) * (c == '-' ? -1 : 1);
  return true;
}

std::optional<int64_t> parse_java_pattern(std::string_view text, std::string_view pattern) {
  DateParts p;
  size_t tp = 0;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\'') {
      size_t end = pattern.find('\'', i + 1);
      if (end == std::string_view::npos) return std::nullopt;
      std::string_view lit = pattern.substr(i + 1, end - i - 1);
      if (lit.empty()) lit = "'";
      if (text.substr(tp, lit.size()) != lit) return std::nullopt;
      tp += lit.size();
      i = end + 1;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      if (tp >= text.size() || text[tp] != c) return std::nullopt;
      ++tp;
      ++i;
      continue;
    }
    size_t run = 1;
    while (i + run < pattern.size() && pattern[i + run] == c) ++run;
    i += run;
    int64_t v = 0;
    switch (c) {
      case 'y':
      case 'u':
        if (run == 2) {
          if (!fixed_digits(text, tp, 2, v)) return std::nullopt;
          p.year = 2000 + v;
        } else {
          // Adjacent numeric fields (yyyyMMdd) need a fixed width to know where the year ends.
          bool adjacent = i < pattern.size() && std::isalpha(static_cast<unsigned char>(pattern[i]));
          if (!(adjacent ? fixed_digits(text, tp, run, v) : var_digits(text, tp, 9, v))) return std::nullopt;
          p.year = v;
        }
        break;
      case 'M':
        if (run >= 3) return std::nullopt;  // month names: not supported
        if (!(run == 2 ? fixed_digits(text, tp, 2, v) : var_digits(text, tp, 2, v))) return std::nullopt;
        p.month = v;
        break;
      case 'd':
        if (!(run == 2 ? fixed_digits(text, tp, 2, v) : var_digits(text, tp, 2, v))) return std::nullopt;
        p.day = v;
        break;
      case 'H':
      case 'k':
      case 'h':
        if (!(run == 2 ? fixed_digits(text, tp, 2, v) : var_digits(text, tp, 2, v))) return std::nullopt;
        p.hour = v;
        if (c == 'h') p.has_ampm = true;
        break;
      case 'm':
        if (!(run == 2 ? fixed_digits(text, tp, 2, v) : var_digits(text, tp, 2, v))) return std::nullopt;
        p.minute = v;
        break;
      case 's':
        if (!(run == 2 ? fixed_digits(text, tp, 2, v) : var_digits(text, tp, 2, v))) return std::nullopt;
        p.second = v;
        break;
      case 'S': {
        size_t start = tp;
        if (!fixed_digits(text, tp, run, v)) return std::nullopt;
        p.nanos = fraction_nanos(text.substr(start, run));
        break;
      }
      case 'a':
        if (text.substr(tp, 2) == "AM" || text.substr(tp, 2) == "am") p.pm = false;
        else if (text.substr(tp, 2) == "PM" || text.substr(tp, 2) == "pm") p.pm = true;
        else return std::nullopt;
        tp += 2;
        break;
      case 'X':
      case 'Z':
      case 'x':
        if (!parse_zone(text, tp, p.offset_seconds)) return std::nullopt;
        break;
      default: return std::nullopt;
    }
  }
  if (tp != text.size()) return std::nullopt;
  return to_nanos(p);
}

}  // namespace

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<int64_t> parse_iso8601_nanos(std::string_view t) {
  DateParts p;
  size_t pos = 0;
  bool negative_year = false;
  if (pos < t.size() && (t[pos] == '-' || t[pos] == '+')) {
    negative_year = t[pos] == '-';
    ++pos;
  }
  int64_t v = 0;
  size_t n = 0;
  if (!var_digits(t, pos, 9, v, &n) || n < 4) return std::nullopt;
  p.year = negative_year ? -v : v;
  if (pos < t.size() && t[pos] == '-') {
    ++pos;
    if (!fixed_digits(t, pos, 2, p.month)) return std::nullopt;
    if (pos < t.size() && t[pos] == '-') {
      ++pos;
      if (!fixed_digits(t, pos, 2, p.day)) return std::nullopt;
    }
  }
  if (pos < t.size() && (t[pos] == 'T' || t[pos] == 't' || t[pos] == ' ')) {
    ++pos;
    if (!fixed_digits(t, pos, 2, p.hour)) return std::nullopt;
    if (pos < t.size() && t[pos] == ':') {
      ++pos;
      if (!fixed_digits(t, pos, 2, p.minute)) return std::nullopt;
      if (pos < t.size() && t[pos] == ':') {
        ++pos;
        if (!fixed_digits(t, pos, 2, p.second)) return std::nullopt;
        if (pos < t.size() && (t[pos] == '.' || t[pos] == ',')) {
          ++pos;
          size_t start = pos;
          while (pos < t.size() && digit(t[pos])) ++pos;
          if (pos == start) return std::nullopt;
          p.nanos = fraction_nanos(t.substr(start, pos - start));
        }
      }
    }
  }
  if (pos < t.size() && !parse_zone(t, pos, p.offset_seconds)) return std::nullopt;
  if (pos != t.size()) return std::nullopt;
  return to_nanos(p);
}

std::optional<int64_t> parse_epoch_millis_nanos(std::string_view t) {
  if (t.empty() || t.size() > 32) return std::nullopt;
  size_t pos = 0;
  bool neg = false;
  if (t[0] == '-' || t[0] == '+') {
    neg = t[0] == '-';
    ++pos;
  }
  int64_t whole = 0;
  size_t n = 0;
  if (!var_digits(t, pos, 18, whole, &n)) return std::nullopt;
  int64_t frac = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < t.size() && digit(t[pos])) ++pos;
    std::string_view digits = t.substr(start, pos - start);
    // Sub-millisecond digits -> nanoseconds (6 digits).
    int64_t f = 0;
    size_t k = 0;
    for (; k < digits.size() && k < 6; ++k) f = f * 10 + (digits[k] - '0');
    for (; k < 6; ++k) f *= 10;
    frac = f;
  }
  if (pos != t.size() || whole > kMaxMillis) return std::nullopt;
  int64_t nanos = whole * kNanosPerMilli + frac;
  return neg ? -nanos : nanos;
}

std::optional<int64_t> parse_date_with_format(std::string_view text, std::string_view f) {
  if (f == "epoch_millis") return parse_epoch_millis_nanos(text);
  if (f == "epoch_second") {
    auto ms = parse_epoch_millis_nanos(text);
    if (!ms || *ms > std::numeric_limits<int64_t>::max() / 1000 || *ms < std::numeric_limits<int64_t>::min() / 1000)
      return std::nullopt;
    return *ms * 1000;
  }
  if (f == "strict_date_optional_time" || f == "date_optional_time" || f == "strict_date_optional_time_nanos" ||
      f == "strict_date_time" || f == "date_time" || f == "strict_date" || f == "date" ||
      f == "iso8601" || f == "strict_date_hour_minute_second" || f == "date_hour_minute_second" ||
      f == "strict_date_time_no_millis" || f == "date_time_no_millis")
    return parse_iso8601_nanos(text);
  if (f == "basic_date") return parse_java_pattern(text, "yyyyMMdd");
  if (f == "basic_date_time") return parse_java_pattern(text, "yyyyMMdd'T'HHmmss.SSSZ");
  if (f == "basic_date_time_no_millis") return parse_java_pattern(text, "yyyyMMdd'T'HHmmssZ");
  if (f == "strict_year_month_day" || f == "year_month_day") return parse_java_pattern(text, "yyyy-MM-dd");
  return parse_java_pattern(text, f);
}

std::optional<int64_t> parse_date_nanos(std::string_view text, std::span<const std::string> formats) {
  if (formats.empty()) {
    if (auto v = parse_iso8601_nanos(text)) return v;
    return parse_epoch_millis_nanos(text);
  }
  for (const auto& f : formats)
    if (auto v = parse_date_with_format(text, f)) return v;
  return std::nullopt;
}

std::optional<int64_t> date_value_nanos(const Value& v, std::span<const std::string> formats) {
  if (v.is_int()) {
    int64_t ms = v.as_int();
    if (ms > kMaxMillis || ms < -kMaxMillis) return std::nullopt;
    return ms * kNanosPerMilli;
  }
  if (v.is_double()) {
    double ms = v.as_double();
    if (!std::isfinite(ms) || std::fabs(ms) > static_cast<double>(kMaxMillis)) return std::nullopt;
    return static_cast<int64_t>(std::llround(ms * static_cast<double>(kNanosPerMilli)));
  }
  if (v.is_string()) {
    // ES accepts epoch millis in a string for the default format; the formats list decides otherwise.
    if (formats.empty()) return parse_date_nanos(v.as_string(), formats);
    if (auto d = parse_date_nanos(v.as_string(), formats)) return d;
    return std::nullopt;
  }
  return std::nullopt;
}

namespace {

struct Civil {
  int64_t year;
  unsigned month, day;
  int64_t hour, minute, second, milli;
};

Civil civil_of(int64_t nanos) {
  int64_t ms = nanos >= 0 ? nanos / kNanosPerMilli : -((-nanos + kNanosPerMilli - 1) / kNanosPerMilli);
  int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int64_t milli = ms - secs * 1000;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t sod = secs - days * 86400;
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  return {y, m, d, sod / 3600, sod / 60 % 60, sod % 60, milli};
}

void append_padded(std::string& out, int64_t v, size_t width) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  if (v < 0) out += '-';
  for (size_t i = digits.size(); i < width; ++i) out += '0';
  out += digits;
}

}  // namespace

std::string format_iso8601_millis(int64_t nanos) {
  Civil c = civil_of(nanos);
  std::string out;
  out.reserve(24);
  append_padded(out, c.year, 4);
  out += '-';
  append_padded(out, c.month, 2);
  out += '-';
  append_padded(out, c.day, 2);
  out += 'T';
  append_padded(out, c.hour, 2);
  out += ':';
  append_padded(out, c.minute, 2);
  out += ':';
  append_padded(out, c.second, 2);
  out += '.';
  append_padded(out, c.milli, 3);
  out += 'Z';
  return out;
}

std::string format_date(int64_t nanos, std::string_view f) {
  if (f.empty() || f == "strict_date_optional_time" || f == "date_optional_time" || f == "strict_date_time" ||
      f == "date_time" || f == "strict_date_optional_time_nanos" || f == "iso8601")
    return format_iso8601_millis(nanos);
  int64_t ms = nanos >= 0 ? nanos / kNanosPerMilli : -((-nanos + kNanosPerMilli - 1) / kNanosPerMilli);
  if (f == "epoch_millis") return std::to_string(ms);
  if (f == "epoch_second") return std::to_string(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
  if (f == "strict_date" || f == "date" || f == "strict_year_month_day" || f == "year_month_day") f = "yyyy-MM-dd";
  if (f == "basic_date") f = "yyyyMMdd";
  Civil c = civil_of(nanos);
  std::string out;
  size_t i = 0;
  while (i < f.size()) {
    char ch = f[i];
    if (ch == '\'') {
      size_t end = f.find('\'', i + 1);
      if (end == std::string_view::npos) return format_iso8601_millis(nanos);
      out += end == i + 1 ? std::string("'") : std::string(f.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))) {
      out += ch;
      ++i;
      continue;
    }
    size_t run = 1;
    while (i + run < f.size() && f[i + run] == ch) ++run;
    i += run;
    switch (ch) {
      case 'y':
      case 'u':
        if (run == 2) append_padded(out, c.year % 100, 2);
        else append_padded(out, c.year, run);
        break;
      case 'M':
        if (run > 2) return format_iso8601_millis(nanos);
        append_padded(out, c.month, run);
        break;
      case 'd': append_padded(out, c.day, run); break;
      case 'H':
      case 'k': append_padded(out, c.hour, run); break;
      case 'h': append_padded(out, c.hour % 12 == 0 ? 12 : c.hour % 12, run); break;
      case 'm': append_padded(out, c.minute, run); break;
      case 's': append_padded(out, c.second, run); break;
      case 'S': {
        std::string frac;
        append_padded(frac, c.milli, 3);
        frac.resize(std::min<size_t>(run, 9), '0');
        out += frac;
        break;
      }
      case 'a': out += c.hour < 12 ? "AM" : "PM"; break;
      case 'X':
      case 'Z':
      case 'x': out += run >= 3 || ch == 'X' ? "Z" : "+0000"; break;
      default: return format_iso8601_millis(nanos);
    }
  }
  return out;
}

OrderReader::OrderReader(const FieldPath& timestamp, std::optional<FieldPath> tiebreaker,
                         std::vector<std::string> timestamp_formats)
    : timestamp_(timestamp), tiebreaker_(std::move(tiebreaker)), formats_(std::move(timestamp_formats)) {}

bool OrderReader::read(const Event& event, uint64_t arrival, OrderKey& out) const {
  out.arrival = arrival;
  bool have_ts = false;
  // First value of a multi-valued timestamp (ES sorts on the minimum for ascending order).
  event.for_each_value(timestamp_, [&](const Value& v) {
    if (auto ns = date_value_nanos(v, formats_)) {
      if (!have_ts || *ns < out.timestamp_nanos) out.timestamp_nanos = *ns;
      have_ts = true;
    }
  });
  out.tie_kind = OrderKey::TieKind::kMissing;
  out.tie_string.clear();
  if (tiebreaker_) {
    bool have_tie = false;
    event.for_each_value(*tiebreaker_, [&](const Value& v) {
      if (have_tie) return;
      if (v.is_number()) {
        out.tie_kind = OrderKey::TieKind::kNumber;
        out.tie_number = v.as_number();
        have_tie = true;
      } else if (v.is_string()) {
        out.tie_kind = OrderKey::TieKind::kString;
        out.tie_string.assign(v.as_string());
        have_tie = true;
      } else if (v.is_bool()) {
        out.tie_kind = OrderKey::TieKind::kNumber;
        out.tie_number = v.as_bool() ? 1 : 0;
        have_tie = true;
      }
    });
  }
  out.has_sequence = false;
  if (!tiebreaker_ || tiebreaker_->text() != sequence_.text()) {
    const Value* seq = event.get(sequence_);
    if (seq && seq->is_number()) {
      out.has_sequence = true;
      out.sequence = seq->as_number();
    }
  }
  return have_ts;
}

}  // namespace audetect::eql
