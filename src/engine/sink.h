// Where alerts go: NDJSON (default), a table for people, or Elasticsearch _bulk lines.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/alert.h"

namespace audetect::engine {

enum class AlertFormat : unsigned char { kNdjson, kTable, kBulk };
bool parse_alert_format(std::string_view name, AlertFormat* out);

// The index Kibana writes alerts of a space to.
std::string alerts_index(std::string_view space);

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual void write(const AlertView& alert) = 0;
  virtual void close() {}
  // The first write error, if any (the engine keeps running; the command reports it and exits 1).
  const Status& status() const { return status_; }
  uint64_t written() const { return written_; }

 protected:
  Status status_;
  uint64_t written_ = 0;
};

// Writes to a FILE*. `flush_each`: flush after every alert, so a reader (tail -f, a shipper) sees each
// alert as soon as it exists. The stream is not closed.
std::unique_ptr<AlertSink> make_stream_sink(AlertFormat format, FILE* out, bool flush_each,
                                            std::string space = "default");

// Keeps every alert document in memory (tests, benchmarks).
class CollectingSink : public AlertSink {
 public:
  void write(const AlertView& alert) override {
    docs.emplace_back(alert.json);
    views.push_back(alert);
    views.back().json = {};
    ++written_;
  }
  std::vector<std::string> docs;
  std::vector<AlertView> views;  // json cleared; read docs instead
};

// Counts alerts and drops them (benchmarks).
class CountingSink : public AlertSink {
 public:
  void write(const AlertView&) override { ++written_; }
};

}  // namespace audetect::engine
