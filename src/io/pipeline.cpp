#include "io/pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

namespace {

// One ECS NDJSON line into `builder`: true when it now holds an event. `warning` is set for a line
// that is skipped or repaired.
bool read_json_line(JsonEventReader& reader, EventBuilder& builder, std::string_view line,
                    std::string* warning) {
  JsonError err;
  bool repaired = false;
  switch (reader.parse(line, builder, &err, &repaired)) {
    case JsonEventReader::Outcome::kIgnored: return false;
    case JsonEventReader::Outcome::kError:
      *warning = err.column ? "column " + std::to_string(err.column) + ": " + err.reason : err.reason;
      return false;
    case JsonEventReader::Outcome::kEvent:
      if (repaired) *warning = "invalid UTF-8 replaced with U+FFFD";
      return true;
  }
  return false;
}

struct DeferredWarning {
  uint32_t source = 0;  // index into Batch::sources
  uint64_t line = 0;
  std::string reason;
};

// A slice of the input for one worker: copies of its assembled events and ECS lines in input order,
// then the bytes rendered from them. Batches are recycled, so their storage is reused.
struct Batch {
  struct Item {
    audit::AuditEvent event;  // an audit event, when line is empty
    std::string_view line;    // an ECS JSON line
    uint32_t source = 0;
    uint64_t line_no = 0;
  };
  Arena arena{256 * 1024};
  std::vector<Item> items;
  std::vector<Arena> taken;  // strings of audit events, taken over from the assembler
  std::vector<std::string> sources;  // names of the files the items and warnings come from
  std::vector<DeferredWarning> warnings;
  size_t bytes = 0;  // input bytes copied in, to bound the batch
  std::string out;
  uint64_t json_events = 0;
  std::exception_ptr error;
  bool done = false;  // guarded by the pipeline's mutex

  void clear() {
    arena.reset();
    items.clear();
    sources.clear();
    warnings.clear();
    bytes = 0;
    out.clear();
    json_events = 0;
    error = nullptr;
    done = false;
  }
  uint32_t source_index(std::string_view name) {
    if (sources.empty() || sources.back() != name) sources.emplace_back(name);
    return static_cast<uint32_t>(sources.size() - 1);
  }
};

constexpr size_t kBatchItems = 64;
constexpr size_t kBatchBytes = 512 * 1024;
constexpr size_t kOutputFlushBytes = 1 << 20;

}  // namespace

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

  // Parallel mode.
  Renderer render;
  Writer write;
  std::string out;  // workers == 0: rendered bytes not yet written
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable work_cv;  // a batch was queued, or stopping
  std::condition_variable done_cv;  // a batch is done
  std::deque<Batch*> queue;         // submitted, not yet taken by a worker
  bool stopping = false;
  std::deque<Batch*> in_flight;     // submitted, in input order (feeding thread only)
  std::vector<std::unique_ptr<Batch>> batches;
  std::vector<Batch*> free_batches;
  Batch* filling = nullptr;
  std::vector<Arena> spare_arenas;  // emptied arenas of recycled batches, swapped into the assembler
  size_t max_in_flight = 0;

  // Host metadata is collected once here for every normalizer (workers have their own).
  static PipelineOptions with_host_info(PipelineOptions o) {
    if (o.normalizer.add_host_metadata && !o.normalizer.host)
      o.normalizer.host = std::make_shared<const ecs::HostInfo>(ecs::collect_host_info());
    return o;
  }

  Impl(PipelineOptions o, Consumer c)
      : options(with_host_info(std::move(o))),
        consumer(std::move(c)),
        normalizer(options.normalizer),
        assembler([this](const audit::AuditEvent& e) { on_audit_event(e); }, options.assembler) {}

  ~Impl() { stop_workers(); }

  bool deferred() const { return !threads.empty(); }

  void on_audit_event(const audit::AuditEvent& e) {
    ++stats.audit_events;
    if (deferred()) {
      Batch& b = batch();
      Batch::Item& item = b.items.emplace_back();
      item.event = take_event(e, b);
      for (const audit::AuditRecord& r : e.records) b.bytes += r.text.size();
      submit_if_full();
      return;
    }
    normalizer.normalize(e, builder);
    consumer(builder.finish());
  }

  // The batch's own copy of an assembled event: its strings stay where the assembler put them (that arena
  // is swapped for a spare one), only the records array and the node name are copied.
  audit::AuditEvent take_event(const audit::AuditEvent& e, Batch& b) {
    Arena spare = spare_arenas.empty() ? Arena(16 * 1024) : std::move(spare_arenas.back());
    if (!spare_arenas.empty()) spare_arenas.pop_back();
    std::swap(spare, *e.storage);
    b.taken.push_back(std::move(spare));
    audit::AuditEvent kept = e;
    kept.storage = nullptr;
    kept.node = b.arena.copy(e.node);
    auto* records = b.arena.allocate_array<audit::AuditRecord>(e.records.size());
    for (size_t i = 0; i < e.records.size(); ++i) {
      new (&records[i]) audit::AuditRecord(e.records[i]);
      records[i].node = kept.node;
    }
    kept.records = {records, e.records.size()};
    return kept;
  }

  void start_workers(unsigned n) {
    max_in_flight = 2 * size_t{n} + 2;
    for (unsigned i = 0; i < n; ++i) threads.emplace_back([this] { work(); });
  }

  void stop_workers() {
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    work_cv.notify_all();
    for (std::thread& t : threads) t.join();
    threads.clear();
  }

  // What one thread needs to process batches; the feeding thread uses the pipeline's own members.
  struct Processor {
    ecs::EcsNormalizer& normalizer;
    EventBuilder& builder;
    JsonEventReader& json;
    std::string warning;
  };

  void process(Processor& p, Batch& b) {
    try {
      for (const Batch::Item& item : b.items) {
        if (item.line.empty()) {
          p.normalizer.normalize(item.event, p.builder);
          render(p.builder.finish(), b.out);
          continue;
        }
        p.warning.clear();
        if (read_json_line(p.json, p.builder, item.line, &p.warning)) {
          if (!p.warning.empty()) b.warnings.push_back({item.source, item.line_no, p.warning});
          ++b.json_events;
          render(p.builder.finish(), b.out);
        } else if (!p.warning.empty()) {
          b.warnings.push_back({item.source, item.line_no, p.warning});
        }
      }
    } catch (...) {
      b.error = std::current_exception();
    }
    {
      std::lock_guard lock(mu);
      b.done = true;
    }
    done_cv.notify_all();
  }

  void work() {
    ecs::EcsNormalizer own_normalizer(options.normalizer);
    EventBuilder own_builder;
    JsonEventReader own_json;
    Processor p{own_normalizer, own_builder, own_json, {}};
    for (;;) {
      Batch* b;
      {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;
        b = queue.front();
        queue.pop_front();
      }
      process(p, *b);
    }
  }

  // The feeding thread processes the oldest waiting batch itself when the workers are behind, so the
  // cores stay busy without more threads than cores (a worker thread per core would slow the feeder, whose
  // parsing every batch waits for).
  bool help(size_t min_waiting) {
    Batch* b;
    {
      std::lock_guard lock(mu);
      if (queue.empty() || queue.size() < min_waiting) return false;
      b = queue.front();
      queue.pop_front();
    }
    Processor p{normalizer, builder, json, {}};
    process(p, *b);
    return true;
  }

  Batch& batch() {
    if (!filling) {
      if (free_batches.empty()) {
        batches.push_back(std::make_unique<Batch>());
        filling = batches.back().get();
      } else {
        filling = free_batches.back();
        free_batches.pop_back();
      }
      for (Arena& a : filling->taken) {
        a.reset();
        spare_arenas.push_back(std::move(a));
      }
      filling->taken.clear();
      filling->clear();
    }
    return *filling;
  }

  void submit_if_full() {
    if (filling->items.size() >= kBatchItems || filling->bytes >= kBatchBytes) submit();
  }

  void submit() {
    if (!filling || (filling->items.empty() && filling->warnings.empty())) return;
    Batch* b = filling;
    filling = nullptr;
    {
      std::lock_guard lock(mu);
      queue.push_back(b);
    }
    work_cv.notify_one();
    in_flight.push_back(b);
    // The workers are behind when the queue is nearly full: take the oldest waiting batch (measured: helping
    // earlier starves the workers of the feeder's parsing, later leaves a core idle).
    help(max_in_flight - 1);
    while (in_flight.size() >= max_in_flight) write_oldest();
  }

  // Waits for the oldest batch, reports its warnings and writes its output.
  void write_oldest();
  void drain() {
    submit();
    while (!in_flight.empty()) write_oldest();
  }
  void report(std::string_view source, uint64_t line, std::string_view why);
};

EventPipeline::EventPipeline(PipelineOptions options, Consumer consumer)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(consumer))) {}

EventPipeline::EventPipeline(PipelineOptions options, unsigned workers, Renderer render, Writer write)
    : impl_(std::make_unique<Impl>(std::move(options), nullptr)) {
  Impl& m = *impl_;
  m.render = std::move(render);
  m.write = std::move(write);
  if (workers > 0) {
    m.start_workers(workers);
    return;
  }
  m.consumer = [&m](const Event& e) {
    m.render(e, m.out);
    if (m.out.size() >= kOutputFlushBytes) {
      m.write(m.out);
      m.out.clear();
    }
  };
}

EventPipeline::~EventPipeline() = default;

void EventPipeline::Impl::write_oldest() {
  Batch* b = in_flight.front();
  for (;;) {
    {
      std::unique_lock lock(mu);
      if (b->done) break;
      if (queue.empty()) {
        done_cv.wait(lock, [&] { return b->done; });
        break;
      }
    }
    help(1);  // rather than wait while batches are queued
  }
  in_flight.pop_front();
  free_batches.push_back(b);  // before anything below can throw
  // Items and warnings of one source are in line order; a stable sort interleaves the two.
  std::stable_sort(b->warnings.begin(), b->warnings.end(), [](const auto& x, const auto& y) {
    return x.source != y.source ? x.source < y.source : x.line < y.line;
  });
  for (const DeferredWarning& w : b->warnings) report(b->sources[w.source], w.line, w.reason);
  stats.json_events += b->json_events;
  if (b->error) std::rethrow_exception(b->error);
  if (!b->out.empty()) write(b->out);
}

void EventPipeline::warn(std::string_view source, uint64_t line, std::string_view reason) {
  Impl& m = *impl_;
  if (m.deferred()) {
    // Reported when the current batch is written, so warnings stay in input order.
    Batch& b = m.batch();
    b.warnings.push_back({b.source_index(source), line, std::string(reason)});
    return;
  }
  m.report(source, line, reason);
}

void EventPipeline::Impl::report(std::string_view source, uint64_t line, std::string_view why) {
  Impl& m = *this;
  ++m.stats.warnings;
  if (!m.options.warning_stream) return;
  if (m.stats.warnings <= m.options.warnings_printed) {
    std::fprintf(m.options.warning_stream, "audetect: warning: %.*s:%llu: %.*s\n",
                 static_cast<int>(source.size()), source.data(), static_cast<unsigned long long>(line),
                 static_cast<int>(why.size()), why.data());
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
    if (m.deferred()) {
      Batch& b = m.batch();
      Batch::Item& item = b.items.emplace_back();
      item.line = b.arena.copy(line);
      item.source = b.source_index(source);
      item.line_no = line_no;
      b.bytes += line.size();
      m.submit_if_full();
      return;
    }
    m.reason.clear();
    bool event = read_json_line(m.json, m.builder, line, &m.reason);
    if (!m.reason.empty()) warn(source, line_no, m.reason);
    if (event) {
      ++m.stats.json_events;
      m.consumer(m.builder.finish());
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

void EventPipeline::flush() {
  Impl& m = *impl_;
  m.assembler.flush();
  if (m.deferred()) m.drain();
  if (!m.out.empty()) {
    m.write(m.out);
    m.out.clear();
  }
}

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
