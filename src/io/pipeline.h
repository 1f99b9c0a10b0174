// From input files to normalized events: each line is an auditd log record (assembled and mapped
// to ECS) or an ECS NDJSON document, decided per line in auto mode, so mixed inputs work.
// Bad lines are skipped with a warning naming file:line and the reason; warnings are rate-limited
// on stderr and counted for the summary.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "audit/audit.h"
#include "base/status.h"
#include "ecs/ecs.h"
#include "event/event.h"

namespace audetect::io {

enum class InputFormat : uint8_t { kAuto, kAudit, kEcs };
bool parse_input_format(std::string_view name, InputFormat* out);

struct PipelineOptions {
  InputFormat format = InputFormat::kAuto;
  ecs::NormalizerOptions normalizer;
  audit::AssemblerOptions assembler;
  size_t warnings_printed = 20;  // per run on stderr; the rest are only counted
  FILE* warning_stream = stderr;  // nullptr: count only
  bool progress = false;          // periodic progress on stderr (interactive use)
};

struct PipelineStats {
  uint64_t files = 0;
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t records = 0;       // audit records parsed
  uint64_t audit_events = 0;  // events assembled from records
  uint64_t json_events = 0;   // ECS documents read
  uint64_t warnings = 0;
  uint64_t lost = 0;          // serial gaps (possibly lost events)
  uint64_t incomplete = 0;    // events released without their EOE
};

class EventPipeline {
 public:
  // Called once per event, in input order (audit events in the assembler's release order).
  // The event is valid during the call only (clone() it to keep it).
  using Consumer = std::function<void(const Event&)>;
  // Parallel mode: turns one event into output bytes (appended to `out`). Called concurrently
  // from worker threads, so it must not touch shared state.
  using Renderer = std::function<void(const Event& event, std::string& out)>;
  // Receives rendered bytes in input order, on the thread that feeds the pipeline.
  using Writer = std::function<void(std::string_view bytes)>;

  EventPipeline(PipelineOptions options, Consumer consumer);
  // Parallel mode: records are parsed and assembled on the feeding thread, as in the consumer mode;
  // events are normalized (or ECS lines parsed) and rendered in batches on `workers` threads, and
  // the output of each batch is written in input order. Warnings are reported in input order too.
  // workers == 0 does all of it on the feeding thread. Output is byte-identical to the consumer
  // mode with the same renderer (given a fixed NormalizerOptions::clock_ms).
  EventPipeline(PipelineOptions options, unsigned workers, Renderer render, Writer write);
  ~EventPipeline();

  // Reads a whole file ("-" is stdin). Errors opening or reading it are returned; bad lines
  // inside it are warnings.
  Status read_file(const std::string& path);
  // Feeds one line from a named source (followers, tests).
  void feed_line(std::string_view line, std::string_view source, uint64_t line_no);
  // Releases audit events still waiting for their records (end of input); in parallel mode also
  // waits for every batch and writes its output.
  void flush();

  void warn(std::string_view source, uint64_t line, std::string_view reason);
  const PipelineStats& stats() const;
  // "events N (audit N, ecs N), records N, warnings N, lost N" for the end-of-run summary.
  std::string summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace audetect::io
