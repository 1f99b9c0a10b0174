#include "engine/sink.h"

#include <cerrno>
#include <cstring>

#include "engine/timestamp.h"
#include "event/json.h"

namespace audetect::engine {
namespace {

class StreamSink : public AlertSink {
 public:
  StreamSink(AlertFormat format, FILE* out, bool flush_each, std::string space)
      : format_(format), out_(out), flush_each_(flush_each), index_(alerts_index(space)) {}

  void write(const AlertView& a) override {
    line_.clear();
    switch (format_) {
      case AlertFormat::kNdjson:
        line_.append(a.json).push_back('\n');
        break;
      case AlertFormat::kBulk:
        line_.append("{\"create\":{\"_index\":");
        JsonWriter::append_quoted(line_, index_);
        line_.append(",\"_id\":");
        JsonWriter::append_quoted(line_, a.id);
        line_.append("}}\n").append(a.json).push_back('\n');
        break;
      case AlertFormat::kTable:
        table_row(a);
        break;
    }
    put(line_);
    ++written_;
  }

  void close() override {
    if (fflush(out_) != 0 && status_.is_ok()) status_ = Status::io_error(std::string("alert output: ") + strerror(errno));
  }

 private:
  void put(const std::string& s) {
    if (!status_.is_ok()) return;
    if (fwrite(s.data(), 1, s.size(), out_) != s.size() || (flush_each_ && fflush(out_) != 0))
      status_ = Status::io_error(std::string("alert output: ") + strerror(errno));
  }

  // Fixed columns, cut with an ellipsis, so rows line up in a terminal; the reason is last and whole.
  static void cell(std::string& line, std::string_view v, size_t width) {
    std::string text;
    for (char c : v) text.push_back(c == '\n' || c == '\t' ? ' ' : c);
    if (text.size() > width) {
      text.resize(width - 1);
      text.append("~");
    }
    line.append(text);
    line.append(width - std::min(width, text.size()) + 2, ' ');
  }

  void table_row(const AlertView& a) {
    if (!header_done_) {
      cell(line_, "TIME", 24), cell(line_, "RULE", 40), cell(line_, "SEVERITY", 8), cell(line_, "HOST", 16),
          cell(line_, "USER", 12), cell(line_, "PROCESS", 16), cell(line_, "FILE", 24);
      line_.append("REASON\n");
      header_done_ = true;
    }
    cell(line_, format_iso8601_ms(a.original_ms), 24);
    cell(line_, a.building_block ? "[bb] " + a.rule_name : a.rule_name, 40);
    cell(line_, a.severity, 8);
    cell(line_, a.host, 16);
    cell(line_, a.user, 12);
    cell(line_, a.process, 16);
    cell(line_, a.file, 24);
    for (char c : a.reason) line_.push_back(c == '\n' ? ' ' : c);
    line_.push_back('\n');
  }

  AlertFormat format_;
  FILE* out_;
  bool flush_each_;
  std::string index_;
  std::string line_;
  bool header_done_ = false;
};

}  // namespace

bool parse_alert_format(std::string_view name, AlertFormat* out) {
  if (name == "ndjson" || name == "json") *out = AlertFormat::kNdjson;
  else if (name == "table") *out = AlertFormat::kTable;
  else if (name == "bulk") *out = AlertFormat::kBulk;
  else return false;
  return true;
}

std::string alerts_index(std::string_view space) { return ".alerts-security.alerts-" + std::string(space); }

std::unique_ptr<AlertSink> make_stream_sink(AlertFormat format, FILE* out, bool flush_each, std::string space) {
  return std::make_unique<StreamSink>(format, out, flush_each, std::move(space));
}

}  // namespace audetect::engine
