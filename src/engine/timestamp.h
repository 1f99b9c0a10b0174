// Event-time arithmetic for the engine: ISO-8601 / epoch values <-> milliseconds since the epoch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "event/event.h"

namespace audetect::engine {

// Parses the date forms Elasticsearch accepts for a `date` field in audit data:
// "2023-11-14T22:13:20.123Z", fractions of any length (truncated to ms), "+hh:mm"/"-hhmm" offsets,
// a date alone ("2023-11-14"), and a space instead of 'T'. Returns nullopt for anything else.
std::optional<int64_t> parse_iso8601_ms(std::string_view text);

// A date field's value: an ISO string or an epoch-millisecond number (ES `date` default format).
std::optional<int64_t> date_value_ms(const Value& v);

// First value of the field at `path` as a date; nullopt when absent or not a date.
std::optional<int64_t> event_time_ms(const Event& event, const FieldPath& path);

// "2023-11-14T22:13:20.123Z" (UTC, always milliseconds), appended to `out`.
void append_iso8601_ms(std::string& out, int64_t ms);
std::string format_iso8601_ms(int64_t ms);

}  // namespace audetect::engine
