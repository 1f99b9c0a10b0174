// NDJSON in and out. The writer always produces valid JSON (invalid UTF-8 repaired, control
// characters escaped); the reader parses one JSON document per line with simdjson.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "event/event.h"

namespace audetect {

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view k);
  void string(std::string_view s);
  void integer(int64_t i);
  void number(double d);
  void boolean(bool b);
  void null();
  void value(const Value& v);  // any event value, recursively

  // Appends a JSON string literal (quotes included) for arbitrary bytes.
  static void append_quoted(std::string& out, std::string_view s);

 private:
  void separator();
  std::string& out_;
  // One bit per nesting level: whether a comma is needed before the next item.
  uint64_t need_comma_ = 0;
  int depth_ = 0;
  bool after_key_ = false;
};

// Appends `event` as one compact JSON object followed by '\n'.
void write_ndjson(std::string& out, const Event& event);

struct JsonError {
  size_t column = 0;  // 1-based byte column in the line, 0 when unknown
  std::string reason;
};

// Parses one NDJSON line into `builder` (reset first). Accepts a bare document, an Elasticsearch
// hit ({"_source": {...}}) or a `_bulk` document line. Dotted keys ("event.category") are expanded
// into nested objects so they are found like nested ones, as Elasticsearch does.
class JsonEventReader {
 public:
  JsonEventReader();
  ~JsonEventReader();
  JsonEventReader(const JsonEventReader&) = delete;
  JsonEventReader& operator=(const JsonEventReader&) = delete;

  enum class Outcome {
    kEvent,    // the builder holds the event (call builder.finish())
    kIgnored,  // not an event: blank line or an Elasticsearch `_bulk` action line
    kError,    // `error` says where and why
  };
  // Invalid UTF-8 is repaired (U+FFFD) rather than rejected; `repaired` (if given) is set then.
  Outcome parse(std::string_view line, EventBuilder& builder, JsonError* error,
                bool* repaired = nullptr);

  static constexpr size_t kMaxDepth = 64;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace audetect
