// Sequence and sample rules executed as Kibana executes them: one search per execution window, so a match
// exists only when all of its events are in one window, each window has its own max_signals budget, overlapping
// windows do not repeat alerts, and what the engine keeps follows the look-back, not the input.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/engine.h"
#include "engine/timestamp.h"
#include "event/json.h"

namespace audetect::engine {
namespace {

constexpr int64_t kMin = 60'000;
// 2023-11-14T22:10:00Z, a multiple of 5 minutes: executions of a 5m rule fall on T0 + k * 5m.
constexpr int64_t kT0 = 1699999800000;

rules::Rule rule_with(const std::string& query, int64_t max_signals = 100) {
  auto r = rules::parse_rule(fmt::format(R"(
[metadata]
creation_date = "2024/01/01"
updated_date = "2024/01/01"
[rule]
rule_id = "22222222-3333-4444-5555-666666666666"
name = "Windowed test rule"
description = "d"
author = ["t"]
type = "eql"
language = "eql"
index = ["logs-auditd_manager.auditd-*"]
risk_score = 47
severity = "medium"
interval = "5m"
from = "now-9m"
max_signals = {}
query = '''
{}
'''
)",
                                         max_signals, query),
                             "windowed.toml");
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return std::move(r.value());
}

const char* const kSequence = R"(sequence by process.pid
  [file where file.path == "/etc/first"]
  [file where file.path == "/etc/second"])";
const char* const kSample = R"(sample by process.pid
  [file where file.path == "/etc/first"]
  [file where file.path == "/etc/second"])";

// One file event; `serial` makes it a distinct source (event.sequence feeds the alert id).
std::string file_event(int64_t ts_ms, int pid, const std::string& path, int serial) {
  return fmt::format(
      R"({{"@timestamp":"{}","event":{{"kind":"event","module":"auditd","category":["file"],"type":["info"],)"
      R"("action":"opened-file","sequence":{}}},"process":{{"pid":{},"name":"cat"}},"file":{{"path":"{}"}},)"
      R"("host":{{"name":"h","id":"0123456789abcdef0123456789abcdef","os":{{"type":"linux"}}}},)"
      R"("data_stream":{{"type":"logs","dataset":"auditd_manager.auditd","namespace":"default"}}}})",
      format_iso8601_ms(ts_ms), serial, pid, path);
}

EngineOptions replay_options() {
  EngineOptions o;
  o.loaded_at_ms = 1699999000000;
  o.wall_clock_ms = [] { return int64_t{1700000400000}; };
  return o;
}

struct Outcome {
  std::vector<std::string> shells;  // the shell alert of every alerted sequence / sample, in order
  size_t docs = 0;
  RuleReport report;
  std::string summary;
};

class Feeder {
 public:
  explicit Feeder(rules::Rule rule, EngineOptions options = replay_options()) {
    std::vector<rules::Rule> list;
    list.push_back(std::move(rule));
    engine_ = std::make_unique<DetectionEngine>(DetectionEngine::prepare(std::move(list)), sink_, options);
  }
  void feed(const std::string& json) {
    EventBuilder builder;
    JsonEventReader reader;
    JsonError err;
    ASSERT_EQ(reader.parse(json, builder, &err), JsonEventReader::Outcome::kEvent) << err.reason;
    engine_->process(builder.finish());
    ++events_;
  }
  DetectionEngine& engine() { return *engine_; }
  uint64_t report_searches() const { return engine_->report()[0].search.searches; }
  CollectingSink& sink() { return sink_; }
  Outcome finish() {
    engine_->finish();
    Outcome r;
    r.docs = sink_.docs.size();
    for (size_t i = 0; i < sink_.docs.size(); ++i)
      if (!sink_.views[i].building_block) r.shells.push_back(sink_.docs[i]);
    auto reports = engine_->report();
    EXPECT_EQ(reports.size(), 1u);
    EXPECT_TRUE(reports[0].runnable) << reports[0].not_runnable_reason;
    r.report = reports[0];
    r.summary = engine_->summary(events_);
    return r;
  }

 private:
  CollectingSink sink_;
  std::unique_ptr<DetectionEngine> engine_;
  uint64_t events_ = 0;
};

// The process.pid common to a shell's building blocks (the shell keeps fields all blocks share).
int shell_pid(const std::string& shell) {
  auto p = shell.find(R"("pid":)");
  return p == std::string::npos ? -1 : std::stoi(shell.substr(p + 6));
}

std::set<int> shell_pids(const Outcome& r) {
  std::set<int> pids;
  for (const auto& s : r.shells) pids.insert(shell_pid(s));
  return pids;
}

TEST(SequenceWindows, ASequenceLongerThanEveryWindowIsNotAlertedOneInsideAWindowIs) {
  Feeder f(rule_with(kSequence));
  // pid 1: 12 minutes apart, more than the 9-minute window.
  f.feed(file_event(kT0 + 1 * kMin, 1, "/etc/first", 1));
  f.feed(file_event(kT0 + 13 * kMin, 1, "/etc/second", 2));
  // pid 2: one minute apart, inside the window [T0+6m, T0+15m].
  f.feed(file_event(kT0 + 13 * kMin + 1000, 2, "/etc/first", 3));
  f.feed(file_event(kT0 + 14 * kMin, 2, "/etc/second", 4));
  Outcome r = f.finish();
  ASSERT_EQ(r.shells.size(), 1u) << r.summary;
  EXPECT_EQ(shell_pid(r.shells[0]), 2);
  EXPECT_EQ(r.docs, 3u);  // two building blocks and the shell
  EXPECT_NE(r.shells[0].find(R"("kibana.alert.depth":2)"), std::string::npos);
}

TEST(SequenceWindows, EachWindowRunsTheStateMachineOnItsOwnEvents) {
  // `[first] [second]` over first@1m, first@12m, second@13m for one pid: in Kibana the window that holds
  // second@13m ([6m, 15m]) starts its sequence at first@12m, so the sequence is (first@12m, second@13m).
  Feeder f(rule_with(kSequence));
  f.feed(file_event(kT0 + 1 * kMin, 7, "/etc/first", 1));
  f.feed(file_event(kT0 + 12 * kMin, 7, "/etc/first", 2));
  f.feed(file_event(kT0 + 13 * kMin, 7, "/etc/second", 3));
  Outcome r = f.finish();
  ASSERT_EQ(r.shells.size(), 1u) << r.summary;
  ASSERT_EQ(f.sink().views.size(), 3u);
  EXPECT_EQ(f.sink().views[0].original_ms, kT0 + 12 * kMin);
  EXPECT_EQ(f.sink().views[1].original_ms, kT0 + 13 * kMin);
}

TEST(SequenceWindows, SamplesAreFoundPerWindow) {
  Feeder f(rule_with(kSample));
  // pid 3: "first" at 1m and "second" at 21m are never in one window; a second "first" at 20m is.
  f.feed(file_event(kT0 + 1 * kMin, 3, "/etc/first", 1));
  f.feed(file_event(kT0 + 20 * kMin, 3, "/etc/first", 2));
  f.feed(file_event(kT0 + 21 * kMin, 3, "/etc/second", 3));
  // pid 4: "second" before "first" (samples are unordered), in the same window.
  f.feed(file_event(kT0 + 22 * kMin, 4, "/etc/second", 4));
  f.feed(file_event(kT0 + 23 * kMin, 4, "/etc/first", 5));
  // pid 5: only one of the two filters.
  f.feed(file_event(kT0 + 23 * kMin, 5, "/etc/first", 6));
  Outcome r = f.finish();
  EXPECT_EQ(shell_pids(r), (std::set<int>{3, 4})) << r.summary;
  EXPECT_EQ(r.shells.size(), 2u) << r.summary;  // found again by the overlapping window: not repeated
  // pid 3's sample is built from the events of its window: "first" at 20m, not the one at 1m.
  std::vector<int64_t> pid3_times;
  for (size_t i = 0; i < f.sink().views.size(); ++i)
    if (f.sink().views[i].building_block && shell_pid(f.sink().docs[i]) == 3)
      pid3_times.push_back(f.sink().views[i].original_ms);
  EXPECT_EQ(pid3_times, (std::vector<int64_t>{kT0 + 20 * kMin, kT0 + 21 * kMin}));
}

TEST(SequenceWindows, OverlappingWindowsFindTheSameSequenceButAlertItOnce) {
  Feeder f(rule_with(kSequence));
  // 7m and 8m are in the windows of the executions at 10m ([1m, 10m]) and at 15m ([6m, 15m]).
  f.feed(file_event(kT0 + 7 * kMin, 9, "/etc/first", 1));
  f.feed(file_event(kT0 + 8 * kMin, 9, "/etc/second", 2));
  f.feed(file_event(kT0 + 30 * kMin, 99, "/etc/other", 3));  // moves the clock past both executions
  Outcome r = f.finish();
  EXPECT_EQ(r.shells.size(), 1u) << r.summary;
  EXPECT_EQ(r.docs, 3u);
  EXPECT_EQ(r.report.stats.matches, 2u);  // one per search
  EXPECT_EQ(r.report.stats.alerts, 1u);
  EXPECT_EQ(r.report.stats.duplicates, 1u);
  EXPECT_EQ(r.report.search.searches, 2u);
  // The shell is written at the first execution that found it.
  EXPECT_NE(r.shells[0].find("\"@timestamp\":\"" + format_iso8601_ms(kT0 + 10 * kMin) + "\""), std::string::npos);
}

TEST(SequenceWindows, MaxSignalsAppliesToEachWindowsSearch) {
  Feeder f(rule_with(kSequence, 2));
  // Sequences (pids 7, 8, 9) end at 7m, 8m, 9m: windows [1m, 10m] and [6m, 15m]. Pids 11 and 12 end at 11m
  // and 12m: windows [6m, 15m] and [11m, 20m].
  int serial = 0;
  for (int pid : {7, 8, 9, 11, 12}) {
    f.feed(file_event(kT0 + pid * kMin, pid, "/etc/first", ++serial));
    f.feed(file_event(kT0 + pid * kMin + 1000, pid, "/etc/second", ++serial));
  }
  Outcome r = f.finish();
  // [1m, 10m] finds 7, 8, 9 and alerts 7, 8; [6m, 15m] finds all five, its first two were alerted already
  // and still take its budget; [11m, 20m] finds 11 and 12. Pid 9 is never alerted, as in Kibana.
  EXPECT_EQ(shell_pids(r), (std::set<int>{7, 8, 11, 12})) << r.summary;
  EXPECT_EQ(r.docs, 4u * 3u);
  EXPECT_EQ(r.report.stats.capped_executions, 3u);
  EXPECT_EQ(r.report.stats.capped_hits_not_alerted, 1u + 3u + 0u);
  EXPECT_EQ(r.report.stats.duplicates, 2u);
  EXPECT_NE(r.summary.find(DetectionEngine::kMaxSignalsWarning), std::string::npos) << r.summary;
}

// Hours of events that match a stage, never completing: the events kept for searches and the join keys of one
// search stay within what the look-back can hold, however long the input.
void expect_bounded(const char* query, const char* path) {
  Feeder f(rule_with(query));
  constexpr int kHours = 6;
  constexpr int kPerMinute = 10;
  // 9m window + one 5m interval of events waiting for their next execution, with some slack.
  constexpr size_t kBound = (9 + 5 + 1) * kPerMinute;
  size_t most_kept = 0;
  for (int i = 0; i < kHours * 60 * kPerMinute; ++i) {
    f.feed(file_event(kT0 + i * (kMin / kPerMinute), 100000 + i, path, i + 1));  // a new pid every time
    if (i % 50 == 0) {
      const RuleReport rep = f.engine().report()[0];
      most_kept = std::max(most_kept, rep.kept_events);
      ASSERT_LE(rep.kept_events, kBound) << "after " << i << " events";
    }
  }
  Outcome r = f.finish();
  EXPECT_TRUE(r.shells.empty());
  EXPECT_GT(most_kept, kBound / 2);  // the check above saw the look-back filled, not an empty buffer
  EXPECT_EQ(r.report.search.kept, static_cast<uint64_t>(kHours * 60 * kPerMinute));
  EXPECT_LE(r.report.search.kept_peak, kBound);
  EXPECT_GT(r.report.search.open_keys_peak, 0u);
  EXPECT_LE(r.report.search.open_keys_peak, kBound);
  EXPECT_EQ(r.report.kept_events, 0u);  // every window searched at the end, nothing left
  EXPECT_EQ(r.report.late_events, 0u);
}

TEST(SequenceWindows, SampleRuleMemoryFollowsTheLookBackNotTheInput) { expect_bounded(kSample, "/etc/first"); }

TEST(SequenceWindows, SequenceRuleMemoryFollowsTheLookBackNotTheInput) {
  // A sequence without maxspan: pending sequences used to live as long as the input.
  expect_bounded(kSequence, "/etc/first");
}

TEST(SequenceWindows, EventsLaterThanTheLookBackAreCountedAsMissed) {
  Feeder f(rule_with(kSequence));
  f.feed(file_event(kT0 + 30 * kMin, 1, "/etc/first", 1));
  f.feed(file_event(kT0 + 1 * kMin, 1, "/etc/first", 2));  // 29 minutes late: no window to execute holds it
  f.feed(file_event(kT0 + 31 * kMin, 1, "/etc/second", 3));
  Outcome r = f.finish();
  EXPECT_EQ(r.shells.size(), 1u) << r.summary;
  EXPECT_EQ(r.report.late_events, 1u);
  EXPECT_NE(r.summary.find("later than the look-back"), std::string::npos) << r.summary;
}

TEST(SequenceWindows, AnEventAheadOfTheClockIsOnlySearchedByItsOwnWindows) {
  Feeder f(rule_with(kSequence));
  f.feed(file_event(kT0 + 1 * kMin, 1, "/etc/first", 1));
  // Two days ahead: the replay clock waits for a second event to confirm such a jump, so the event is kept
  // while the executions around 1m still run; they must not search it.
  f.feed(file_event(kT0 + 2 * 24 * 60 * kMin, 1, "/etc/second", 2));
  f.feed(file_event(kT0 + 20 * kMin, 2, "/etc/other", 3));
  Outcome r = f.finish();
  EXPECT_TRUE(r.shells.empty()) << r.summary;
  EXPECT_GE(r.report.search.searches, 3u);  // [-4m, 5m], [1m, 10m] and the far event's own window(s)
}

EngineOptions live_options(int64_t& wall, bool eager) {
  EngineOptions o = replay_options();
  o.clock = EngineOptions::Clock::kWallClock;
  o.eager = eager;
  o.wall_clock_ms = [&wall] { return wall; };
  return o;
}

TEST(SequenceWindows, WallClockSequencesAlertAtTheExecutionOfTheirWindow) {
  int64_t wall = kT0 + 1 * kMin;
  Feeder f(rule_with(kSequence), live_options(wall, false));
  f.feed(file_event(kT0 + 1 * kMin, 5, "/etc/first", 1));
  wall += 1000;
  f.feed(file_event(kT0 + 1 * kMin + 1000, 5, "/etc/second", 2));
  f.engine().tick(kT0 + 5 * kMin);
  EXPECT_TRUE(f.sink().docs.empty());
  wall = kT0 + 5 * kMin + 1;  // the execution at T0+5m is due
  f.engine().tick(wall);
  ASSERT_EQ(f.sink().docs.size(), 3u);
  EXPECT_NE(f.sink().docs[2].find("\"@timestamp\":\"" + format_iso8601_ms(kT0 + 5 * kMin) + "\""), std::string::npos);
  wall = kT0 + 20 * kMin;
  f.engine().tick(wall);  // the next window holds the same sequence: no second alert
  Outcome r = f.finish();
  EXPECT_EQ(r.docs, 3u) << r.summary;
}

TEST(SequenceWindows, LiveSequencesAlertAsSoonAsTheyComplete) {
  int64_t wall = kT0 + 1 * kMin;
  Feeder f(rule_with(kSequence), live_options(wall, true));
  f.feed(file_event(kT0 + 1 * kMin, 5, "/etc/first", 1));
  EXPECT_EQ(f.report_searches(), 0u);  // a first stage cannot complete the sequence: no early search
  wall += 1000;
  f.feed(file_event(kT0 + 1 * kMin + 1000, 5, "/etc/second", 2));
  ASSERT_EQ(f.sink().docs.size(), 3u);  // written on arrival, not at the execution at T0+5m
  EXPECT_NE(f.sink().docs[2].find("\"@timestamp\":\"" + format_iso8601_ms(wall) + "\""), std::string::npos);
  // Another pid completes within the same second: searched at the next tick, not per event.
  f.feed(file_event(kT0 + 1 * kMin + 1500, 6, "/etc/first", 3));
  f.feed(file_event(kT0 + 1 * kMin + 1600, 6, "/etc/second", 4));
  EXPECT_EQ(f.sink().docs.size(), 3u);
  wall += 1000;
  f.engine().tick(wall);
  EXPECT_EQ(f.sink().docs.size(), 6u);
  wall = kT0 + 20 * kMin;
  f.engine().tick(wall);  // both executions find them again: no second alert
  Outcome r = f.finish();
  EXPECT_EQ(r.docs, 6u) << r.summary;
  EXPECT_EQ(r.report.stats.alerts, 2u);
  EXPECT_EQ(r.report.stats.duplicates, 4u);
}

}  // namespace
}  // namespace audetect::engine
