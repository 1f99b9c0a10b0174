#include "io/pipeline.h"

#include <unistd.h>

#include <chrono>
#include <string>

#include "event/json.h"
#include "io/source.h"

namespace audetect::io {

bool parse_input_format(std::string_view name, InputFormat* out) {
  if (name == "auto") *out = InputFormat::kAuto;
  else if (name == "audit") *out = InputFormat::kAudit;
  else if (name == "ecs" || name == "json" || name == "ndjson") *out = InputFormat::kEcs;
  else return false;
  return true;
}

struct EventPipeline::Impl {
  PipelineOptions options;
  Consumer consumer;
  PipelineStats stats;
  audit::RecordParser parser;
  audit::AuditRecord record;
  ecs::EcsNormalizer normalizer;
  audit::EventAssembler assembler;
  JsonEventReader json;
  EventBuilder builder;
  std::string reason;
  int64_t last_expire_ms = 0;

  Impl(PipelineOptions o, Consumer c)
      : options(std::move(o)),
        consumer(std::move(c)),
        normalizer(options.normalizer),
        assembler([this](const audit::AuditEvent& e) { on_audit_event(e); }, options.assembler) {}

  void on_audit_event(const audit::AuditEvent& e) {
    ++stats.audit_events;
    normalizer.normalize(e, builder);
    consumer(builder.finish());
  }
};

EventPipeline::EventPipeline(PipelineOptions options, Consumer consumer)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(consumer))) {}

EventPipeline::~EventPipeline() = default;

void EventPipeline::warn(std::string_view source, uint64_t line, std::string_view reason) {
  Impl& m = *impl_;
  ++m.stats.warnings;
  if (!m.options.warning_stream) return;
  if (m.stats.warnings <= m.options.warnings_printed) {
    std::fprintf(m.options.warning_stream, "audetect: warning: %.*s:%llu: %.*s\n",
                 static_cast<int>(source.size()), source.data(), static_cast<unsigned long long>(line),
                 static_cast<int>(reason.size()), reason.data());
    if (m.stats.warnings == m.options.warnings_printed) {
      std::fprintf(m.options.warning_stream,
                   "audetect: warning: further warnings are counted, not printed (see the summary)\n");
    }
  }
}

void EventPipeline::feed_line(std::string_view line, std::string_view source, uint64_t line_no) {
  Impl& m = *impl_;
  ++m.stats.lines;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return;  // blank line

  bool json = m.options.format == InputFormat::kEcs ||
              (m.options.format == InputFormat::kAuto && line[first] == '{');
  if (json) {
    JsonError err;
    bool repaired = false;
    switch (m.json.parse(line, m.builder, &err, &repaired)) {
      case JsonEventReader::Outcome::kIgnored: return;
      case JsonEventReader::Outcome::kError:
        warn(source, line_no,
             err.column ? "column " + std::to_string(err.column) + ": " + err.reason : err.reason);
        return;
      case JsonEventReader::Outcome::kEvent:
        if (repaired) warn(source, line_no, "invalid UTF-8 replaced with U+FFFD");
        ++m.stats.json_events;
        m.consumer(m.builder.finish());
        return;
    }
    return;
  }

  m.reason.clear();
  if (!m.parser.parse_line(line, m.record, &m.reason)) {
    warn(source, line_no, m.reason.empty() ? "not an audit record" : m.reason);
    return;
  }
  if (!m.reason.empty()) warn(source, line_no, m.reason);  // parsed, but degraded
  ++m.stats.records;
  // Groups waiting longer than the timeout are released as time (record time, so replays are
  // deterministic) moves on, checked every 500 ms of it like go-libaudit's ticker.
  if (m.record.time_ms - m.last_expire_ms >= 500) {
    m.assembler.expire(m.record.time_ms);
    m.last_expire_ms = m.record.time_ms;
  }
  uint64_t dropped = m.assembler.stats().dropped_records;
  m.assembler.add(m.record);
  if (m.assembler.stats().dropped_records != dropped) {
    warn(source, line_no, "record dropped: its event exceeds 4096 records or 16 MiB");
  }
}

Status EventPipeline::read_file(const std::string& path) {
  Impl& m = *impl_;
  auto src = LineSource::open(path);
  if (!src) return src.status();
  ++m.stats.files;
  LineSource& s = **src;
  LineSource::Line line;
  bool tty = m.options.progress && ::isatty(STDERR_FILENO);
  auto last_progress = std::chrono::steady_clock::now();
  while (s.next(line)) {
    if (line.truncated) {
      warn(s.name(), line.number, "line longer than 1 MiB: truncated");
    }
    feed_line(line.text, s.name(), line.number);
    if (tty && (line.number & 0xFFFF) == 0) {
      auto now = std::chrono::steady_clock::now();
      if (now - last_progress > std::chrono::seconds(1)) {
        last_progress = now;
        std::fprintf(stderr, "\r%s: %llu lines, %.1f MB", s.name().c_str(),
                     static_cast<unsigned long long>(line.number), s.bytes_read() / 1e6);
      }
    }
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  m.stats.bytes += s.bytes_read();
  return s.status();
}

void EventPipeline::flush() { impl_->assembler.flush(); }

const PipelineStats& EventPipeline::stats() const {
  PipelineStats& st = impl_->stats;
  const auto& a = impl_->assembler.stats();
  st.lost = a.lost;
  st.incomplete = a.incomplete;
  return st;
}

std::string EventPipeline::summary() const {
  const PipelineStats& s = stats();
  return "events " + std::to_string(s.audit_events + s.json_events) + " (audit " +
         std::to_string(s.audit_events) + ", ecs " + std::to_string(s.json_events) + "), records " +
         std::to_string(s.records) + ", warnings " + std::to_string(s.warnings) + ", lost " +
         std::to_string(s.lost) + " (serial gaps), incomplete " + std::to_string(s.incomplete);
}

}  // namespace audetect::io
