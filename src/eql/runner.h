// Runs a compiled EQL query over a stream of events, with Elasticsearch's result semantics.
//
//   QueryRunner runner(compiled, options);
//   for (each event in arrival order) runner.push(event);
//   for (const Hit& hit : runner.finish()) ...
//
// Event queries, sequences (sequence.h) and samples (sample.h) all go through here. Elasticsearch
// sorts by timestamp, then tiebreaker; the runner keeps only the events that can take part in a
// result (those matching some stage, `until`, or missing-event stage), cloned, and orders them
// itself, so input may arrive out of order. Memory is bounded by caps, each with a counter.
#pragma once

#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eql/eql.h"
#include "eql/ordering.h"

namespace audetect::eql {

struct RunnerOptions {
  std::string timestamp_field = "@timestamp";
  std::vector<std::string> timestamp_formats;  // the timestamp field's mapping formats, if any
  std::optional<std::string> tiebreaker_field;
  // Maximum number of hits (events, sequences or samples). Unset: every hit (command-line default);
  // Elasticsearch's API default is 10, Kibana rules send max_signals.
  std::optional<int64_t> size;
  int64_t max_samples_per_key = 1;
  // Caps (a counter in RunnerStats records each time one is hit).
  size_t max_buffered_events = size_t{1} << 22;  // candidate events kept for ordering
  size_t max_open_keys = size_t{1} << 20;        // join-key values with pending sequences / samples
  size_t max_key_combinations = 64;              // cartesian product of multi-valued keys per event
};

// An event that matched some part of the query, kept (cloned) until it is ordered and used.
struct Candidate {
  Event event;
  OrderKey order;
  uint64_t stage_mask = 0;  // bit i: the event matches stage i of CompiledQuery::stages()
  bool until = false;       // matches the sequence's `until`
};

class SequenceMatcher;  // sequence.h
class SampleMatcher;    // sample.h

struct HitEvent {
  Event event;  // owning clone; invalid for a missing-event stage
  OrderKey order;
  bool missing = false;  // placeholder for a `![...]` stage (printed as -1)
};

struct Hit {
  std::vector<HitEvent> events;   // one for an event query; stage order for sequences and samples
  std::vector<KeyValue> join_keys;  // sequences and samples
  // join_keys as Elasticsearch renders them: date keys of sequences in the field's first date
  // format (ISO 8601 by default), of samples as epoch milliseconds (they come from an aggregation).
  std::vector<std::string> join_key_texts;
};

struct RunnerStats {
  uint64_t events_seen = 0;
  uint64_t candidates = 0;                 // events kept because some stage matched
  uint64_t events_without_timestamp = 0;   // skipped: ES cannot sort them
  uint64_t buffer_cap_hits = 0;            // candidates processed early because the buffer was full
  uint64_t key_cap_hits = 0;               // new join-key values refused at max_open_keys
  uint64_t key_combination_cap_hits = 0;   // multi-valued key products truncated
  uint64_t maxspan_rejections = 0;
  uint64_t until_rejections = 0;
  uint64_t missing_event_rejections = 0;
  uint64_t sample_search_cap_hits = 0;     // a key's sample search stopped at its step budget
  uint64_t hits_before_limits = 0;         // results found by finish() before size and pipes cut them
  size_t open_keys_peak = 0;               // most join-key values with pending sequences / samples at once
};

// Renders a join-key value as the ES QA suite and the API print it ("null", decimal numbers,
// booleans as true/false, strings verbatim). `date_format`, when given, renders an epoch-millisecond
// key as a date in that Elasticsearch format ("" = ISO 8601).
std::string join_key_text(const KeyValue& key, const std::string* date_format = nullptr);

class QueryRunner {
 public:
  QueryRunner(std::shared_ptr<const CompiledQuery> query, RunnerOptions options);
  ~QueryRunner();
  QueryRunner(const QueryRunner&) = delete;
  QueryRunner& operator=(const QueryRunner&) = delete;

  // Queries without any limit (no size, no pipe): when the ordering buffer is full, the earliest
  // half of its events is processed and the hits that are final by then (event matches, completed
  // sequences without missing-event stages) go to this sink instead of staying in memory;
  // finish() then returns only the rest. Without a sink they are kept (every match is a result).
  void set_overflow_sink(std::function<void(Hit&&)> sink) { sink_ = std::move(sink); }

  // Live input: the caller promises no later event is older than `timestamp_nanos` (a watermark,
  // e.g. newest timestamp minus the reassembly slack). Buffered candidates older than it are
  // processed now and final hits go to the overflow sink, so matches come out without waiting for
  // the buffer to fill. Only for unlimited queries (no size, no pipes); otherwise a no-op.
  void release_before(int64_t timestamp_nanos);

  // Feeds one event (the runner clones what it keeps). Events must be pushed in arrival order.
  void push(const Event& event);

  // push() in two steps, for callers that keep candidates themselves and search them again later
  // (a detection rule searches each execution window anew): classify() says whether the event can
  // take part in a result and fills everything but `out.event` (nothing is cloned); push_candidate()
  // feeds a classified candidate whose event the caller made owning (Event::clone(), shareable).
  // `arrival` must grow with input order; it is the last ordering tie-breaker and tells samples
  // which events are distinct.
  bool classify(const Event& event, uint64_t arrival, Candidate& out);
  void push_candidate(Candidate candidate);
  // Ends the input: the ordered, limited results. The runner can then be reused (state cleared).
  std::vector<Hit> finish();

  const RunnerStats& stats() const { return stats_; }
  const CompiledQuery& query() const { return *query_; }

 private:
  std::vector<Hit> finish_events();
  std::vector<Hit> apply_limits(std::vector<Hit> hits) const;
  void drain(size_t count);  // hands the `count` earliest buffered candidates to the matcher
  void render_keys(Hit& hit) const;
  bool unlimited() const { return !options_.size && query_->pipes().empty(); }

  std::shared_ptr<const CompiledQuery> query_;
  RunnerOptions options_;
  OrderReader order_reader_;
  RunnerStats stats_;
  uint64_t arrival_ = 0;
  std::vector<Candidate> buffer_;
  std::unique_ptr<SequenceMatcher> sequence_;
  std::unique_ptr<SampleMatcher> sample_;
  // Per join key of a sequence: the date format it is rendered in (ES formats sequence keys with the
  // field's first format), or nullopt for non-date keys.
  std::vector<std::optional<std::string>> date_keys_;
  std::function<void(Hit&&)> sink_;
  size_t drain_at_ = 0;  // buffer size that triggers the next drain
  int64_t newest_processed_ = INT64_MIN;  // timestamp of the latest candidate handed to the matcher
};

}  // namespace audetect::eql
