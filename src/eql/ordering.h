// Event order for sequences, samples and results: timestamp, then tiebreaker, then arrival.
//
// Timestamps are read from the timestamp field as Elasticsearch reads a `date` field: epoch
// milliseconds as a JSON number or as a numeric string, or an ISO 8601 date; mapping `format`s
// (java-time patterns such as `dd-MM-yyyy`, or named formats) are honoured when given.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"

namespace audetect::eql {

// Days since 1970-01-01 of a proleptic Gregorian date (no validation).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);

// ISO 8601 / strict_date_optional_time: yyyy[-MM[-dd]][T|' 'HH[:mm[:ss[.fraction]]]][Z|±HH[:]mm]
// -> nanoseconds since the epoch. Rejects out-of-range components.
std::optional<int64_t> parse_iso8601_nanos(std::string_view text);
// Decimal epoch milliseconds ("1", "-5", "1234.5") -> nanoseconds.
std::optional<int64_t> parse_epoch_millis_nanos(std::string_view text);
// One Elasticsearch date format: a named one (epoch_millis, epoch_second, strict_date_optional_time,
// date_optional_time, strict_date, date, strict_date_time, date_time, basic_date, ...) or a java-time
// pattern made of y M d H h m s S a literals and 'quoted text'.
std::optional<int64_t> parse_date_with_format(std::string_view text, std::string_view format);
// A date string under a field's formats (empty = "strict_date_optional_time||epoch_millis").
std::optional<int64_t> parse_date_nanos(std::string_view text, std::span<const std::string> formats = {});
// A JSON value holding a date: a number is epoch milliseconds, a string goes through the formats.
std::optional<int64_t> date_value_nanos(const Value& v, std::span<const std::string> formats = {});

// Renders nanoseconds as ES renders a date: 2022-05-04T12:00:00.000Z (millisecond precision).
std::string format_iso8601_millis(int64_t nanos);
// Renders a date in one Elasticsearch format, as ES prints a field with that format (named formats
// and java-time patterns of y M d H h m s S a and 'literals'); unknown pattern letters fall back to
// ISO 8601.
std::string format_date(int64_t nanos, std::string_view format);

// Where an event sits in the total order.
struct OrderKey {
  int64_t timestamp_nanos = 0;
  // Tiebreaker: numbers sort before strings; a missing tiebreaker sorts last (ES "missing: _last").
  enum class TieKind : uint8_t { kNumber, kString, kMissing } tie_kind = TieKind::kMissing;
  double tie_number = 0;
  std::string tie_string;
  // event.sequence (the audit serial) when present: audetect's stand-in for ES's index order
  // among events of the same timestamp and tiebreaker (docs/eql.md §14.8). Missing sorts last.
  bool has_sequence = false;
  double sequence = 0;
  uint64_t arrival = 0;  // input order, the last resort

  friend bool operator<(const OrderKey& a, const OrderKey& b) {
    if (a.timestamp_nanos != b.timestamp_nanos) return a.timestamp_nanos < b.timestamp_nanos;
    if (a.tie_kind != b.tie_kind) return a.tie_kind < b.tie_kind;
    if (a.tie_kind == TieKind::kNumber && a.tie_number != b.tie_number) return a.tie_number < b.tie_number;
    if (a.tie_kind == TieKind::kString && a.tie_string != b.tie_string) return a.tie_string < b.tie_string;
    if (a.has_sequence != b.has_sequence) return a.has_sequence;
    if (a.has_sequence && a.sequence != b.sequence) return a.sequence < b.sequence;
    return a.arrival < b.arrival;
  }
};

// Reads order keys from events. Paths are resolved once.
class OrderReader {
 public:
  OrderReader() = default;
  // `timestamp_formats`: the timestamp field's mapping formats (empty for the default).
  OrderReader(const FieldPath& timestamp, std::optional<FieldPath> tiebreaker,
              std::vector<std::string> timestamp_formats = {});

  // False when the event has no usable timestamp (ES does not return such documents from a
  // search that sorts on the timestamp; callers count and skip them).
  bool read(const Event& event, uint64_t arrival, OrderKey& out) const;

 private:
  FieldPath timestamp_;
  std::optional<FieldPath> tiebreaker_;
  FieldPath sequence_{"event.sequence"};
  std::vector<std::string> formats_;
};

}  // namespace audetect::eql
