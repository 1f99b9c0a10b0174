// The detection engine: rules executed over a stream of events with Kibana's semantics (schedule, windows
// on the rule's timestamp field, max_signals, de-duplication by alert id), producing Elastic-shaped alerts.
//
//   DetectionEngine engine(std::move(rules), sink, options);
//   for (each event) engine.process(event);   // `scan`: events in input order
//   engine.tick(now);                           // `watch`: also on a timer, so executions run without input
//   engine.finish();
//
// Batch (`scan`) and live (`watch`) differ only in the clock (event time or the wall clock) and in when an
// alert is written (at the simulated execution, or eagerly as soon as it is certain); windows, the cap and
// de-duplication are the same code (windows.h).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/alert.h"
#include "engine/matcher.h"
#include "engine/sink.h"
#include "engine/windows.h"
#include "event/event.h"
#include "rules/rules.h"

namespace audetect::engine {

struct EngineOptions {
  enum class Clock : unsigned char {
    // Replay: "now" follows the events (@timestamp), one execution per interval of event time, and every
    // event counts as ingested at its own @timestamp truncated to seconds (detection-engine.md §14.2).
    kEventTime,
    // Live: "now" is wall_clock_ms(); event.ingested is taken from the event.
    kWallClock,
  };
  Clock clock = Clock::kEventTime;
  // Write an alert as soon as its match is certain to be within its window's max_signals (live), instead of
  // at the window's execution. Same alerts for in-order input; much lower latency.
  bool eager = false;
  std::function<int64_t()> wall_clock_ms;  // default: the system clock
  std::string fallback_index = "logs-auditd_manager.auditd-default";
  std::string space = std::string(kDefaultSpace);
  std::string kibana_version = "8.17.0";
  int64_t loaded_at_ms = -1;  // rule created_at/updated_at; -1 = the wall clock at construction
  bool immutable_rules = true;
  int64_t alert_id_retention_ms = 0;  // > 0 with a state file: remember alert ids this long
  // Skip event rules whose required field values an event lacks (dispatch.h); off only to compare.
  bool dispatch = true;
};

// A rule with the matcher that runs it (tests build their own; from_rules() compiles EQL).
struct EngineRule {
  rules::Rule rule;
  std::unique_ptr<RuleMatcher> matcher;  // null: the rule is listed but cannot run
  std::string not_runnable_reason;
  std::string uuid;  // rule instance id; "" = rule_id
};

struct RuleReport {
  std::string name;
  std::string rule_id;
  bool runnable = false;
  std::string not_runnable_reason;
  uint32_t max_signals = 0;
  int64_t interval_ms = 0;
  int64_t look_back_ms = 0;  // additional look-back: width - interval
  WindowStats stats;
  uint64_t without_timestamp = 0;  // matches with no usable timestamp (cannot be in any window)
  // Sequence and sample rules.
  bool searched = false;
  SearchStats search;
  uint64_t late_events = 0;  // candidate events older than every window still to execute
  size_t kept_events = 0;    // events kept for searches now
};

class RuleDispatch;

class DetectionEngine {
 public:
  DetectionEngine(std::vector<EngineRule> rules, AlertSink& sink, EngineOptions options = {});
  ~DetectionEngine();
  DetectionEngine(const DetectionEngine&) = delete;
  DetectionEngine& operator=(const DetectionEngine&) = delete;

  // Compiles every runnable rule (eql today); rules of other types, or whose query does not compile, are
  // kept with the reason so the summary lists them.
  static std::vector<EngineRule> prepare(std::vector<rules::Rule> rules);

  // One event, in input order. The event is only read during the call.
  void process(const Event& event);
  // Wall-clock mode: runs executions that are due (call it on a timer).
  void tick(int64_t now_ms);
  // End of input: runs the executions still holding matches (and, for sequence rules, their matches).
  void finish();

  int64_t now() const { return clock_ms_; }
  uint64_t events_processed() const { return events_; }
  uint64_t events_without_timestamp() const { return events_without_timestamp_; }
  uint64_t alerts_written() const { return alerts_; }
  std::vector<RuleReport> report() const;
  // Multi-line human summary (stderr at the end of a run): events, per rule executions/alerts/suppressed,
  // and warnings worded like Kibana's.
  std::string summary(uint64_t events_read) const;
  AlertIdStore& alert_ids() { return ids_; }

  // Kibana's rule-status warning when an execution hits max_signals.
  static constexpr std::string_view kMaxSignalsWarning =
      "This rule reached the maximum alert limit for the rule execution. Some alerts were not created.";

 private:
  struct RuleState;
  void advance_clock(int64_t now_ms);
  std::optional<int64_t> event_timestamp(const Event& event);
  void emit(RuleState& rule, const Candidate& c, int64_t detection_ms);
  std::optional<int64_t> window_time(const RuleState& rule, const Event& event, std::optional<int64_t> ts) const;
  void offer_event(RuleState& rule, const Event& event, Event& owned, int64_t timestamp_ms);
  void keep_for_search(RuleState& rule, const Event& event, Event& owned, std::optional<int64_t> ts);
  void run_searches(RuleState& rule, int64_t now_ms);
  void search_early(RuleState& rule, int64_t now_ms);
  std::vector<CandidatePtr> search_window(RuleState& rule, int64_t exec_time, uint64_t* found);
  CandidatePtr sequence_candidate(RuleState& rule, SequenceMatch&& match);

  std::vector<std::unique_ptr<RuleState>> rules_;
  std::unique_ptr<RuleDispatch> dispatch_;
  AlertSink& sink_;
  EngineOptions options_;
  AlertIdStore ids_;
  int64_t clock_ms_ = INT64_MIN;
  int64_t next_due_ = INT64_MIN;
  std::optional<int64_t> jump_pending_;  // event time far ahead of the clock, waiting for confirmation
  static constexpr int64_t kMaxClockJumpMs = 24 * 3600 * 1000;  // earliest next execution over all rules (skip the loop until then)
  uint64_t events_ = 0, events_without_timestamp_ = 0, alerts_ = 0, seq_ = 0;
  std::string index_;  // scratch: the current event's index
  std::string last_second_text_;  // "YYYY-MM-DDTHH:MM:SS" of the last parsed @timestamp
  int64_t last_second_ms_ = 0;
  std::vector<SequenceMatch> found_;  // scratch: one search's matches
  std::vector<std::string> docs_;
  std::vector<AlertView> views_;
  std::string doc_;
  AlertView view_;
  bool finished_ = false;
};

// `index` matches an index pattern list ("auditbeat-*"; '*' is the only wildcard; "-pattern" excludes).
bool index_matches(std::string_view index, const std::vector<std::string>& patterns);

}  // namespace audetect::engine
