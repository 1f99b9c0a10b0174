// Kibana's execution windows: cap, overlap de-duplication, late events, eager (live) emission.
#include "engine/windows.h"

#include <gtest/gtest.h>

#include <map>

namespace audetect::engine {
namespace {

constexpr int64_t kMin = 60'000;

Schedule schedule(int64_t interval_min, int64_t from_min, uint32_t max_signals) {
  Schedule s;
  s.interval_ms = interval_min * kMin;
  s.from = *rules::parse_date_math("now-" + std::to_string(from_min) + "m");
  s.to = *rules::parse_date_math("now");
  s.max_signals = max_signals;
  return s;
}

// Drives RuleWindows like the engine does in replay: the clock follows the matches' timestamps.
struct Harness {
  explicit Harness(Schedule s, bool eager_mode = false) : windows(s, store), eager(eager_mode) {
    emit = [this](const Candidate& c, int64_t t) { alerts.emplace_back(c.dedup_id, t); };
  }
  // A match at `ts` (ms) with id `id`; arriving when the clock says `now` (default: ts).
  bool match(int64_t ts, std::string id, int64_t now = -1, int64_t order = -1) {
    if (now < 0) now = ts;
    windows.run_until(now, emit);
    const uint64_t s = ++seq;
    return windows.offer(ts, 0, order < 0 ? ts : order, s, now, eager ? &emit : nullptr, [&] {
      auto c = std::make_shared<Candidate>();
      c->window_ts = ts;
      c->order_ts = order < 0 ? ts : order;
      c->seq = s;
      c->dedup_id = id;
      ++clones;
      return CandidatePtr(c);
    });
  }
  AlertIdStore store;
  RuleWindows windows;
  bool eager;
  RuleWindows::Emit emit;
  std::vector<std::pair<std::string, int64_t>> alerts;
  uint64_t seq = 0;
  int clones = 0;
};

TEST(RuleWindows, FirstExecutionIsTheFirstAlignedInstantAndAlertsCarryItsTime) {
  Harness h(schedule(5, 9, 100));
  const int64_t t0 = 1000 * kMin + 123;  // just after 16:40 on 1970-01-01
  h.windows.start(t0);
  EXPECT_EQ(*h.windows.next_execution(), 1005 * kMin);
  h.match(t0, "a");
  h.windows.run_until(1005 * kMin, h.emit);  // not yet: the execution runs once the clock passes it
  EXPECT_TRUE(h.alerts.empty());
  h.windows.run_until(1005 * kMin + 1, h.emit);
  ASSERT_EQ(h.alerts.size(), 1u);
  EXPECT_EQ(h.alerts[0].second, 1005 * kMin);
  EXPECT_EQ(h.windows.stats().executions, 1u);
}

TEST(RuleWindows, OverlappingWindowsGiveNoDuplicate) {
  // interval 5m, from now-9m: an event at 1003m is in the windows of 1005m and 1010m.
  Harness h(schedule(5, 9, 100));
  h.windows.start(1000 * kMin);
  h.match(1003 * kMin, "a");
  h.windows.run_until(1020 * kMin, h.emit);
  ASSERT_EQ(h.alerts.size(), 1u);
  EXPECT_EQ(h.alerts[0].second, 1005 * kMin);
  EXPECT_EQ(h.windows.stats().alerts, 1u);
  EXPECT_EQ(h.windows.stats().duplicates, 1u);  // found again at 1010m, same id: not written
  EXPECT_EQ(h.clones, 1);                       // one copy shared by both windows
}

TEST(RuleWindows, MaxSignalsCapIsReachedReportedAndDuplicatesStillUseTheBudget) {
  // max_signals 3; five matches in (1002m, 1005m]: execution 1005m alerts the earliest three and warns.
  Harness h(schedule(5, 9, 3));
  h.windows.start(1000 * kMin);
  for (int i = 1; i <= 5; ++i) h.match(1002 * kMin + i * 1000, "m" + std::to_string(i));
  h.windows.run_until(1005 * kMin + 1, h.emit);
  ASSERT_EQ(h.alerts.size(), 3u);
  EXPECT_EQ(h.alerts[0].first, "m1");
  EXPECT_EQ(h.alerts[2].first, "m3");
  EXPECT_EQ(h.windows.stats().capped_executions, 1u);
  EXPECT_EQ(h.windows.stats().capped_hits_not_alerted, 2u);
  // Execution 1010m (window 1001m..1010m) sees the same five: its first three are already alerted
  // and still use the budget (Kibana drops duplicates after the search), so m4 and m5 stay unalerted.
  h.windows.run_until(1010 * kMin + 1, h.emit);
  EXPECT_EQ(h.alerts.size(), 3u);
  EXPECT_EQ(h.windows.stats().duplicates, 3u);
  EXPECT_EQ(h.windows.stats().capped_executions, 2u);
}

TEST(RuleWindows, CapKeepsTheEarliestEvenWhenTheyArriveOutOfOrder) {
  Harness h(schedule(5, 9, 2));
  h.windows.start(1000 * kMin);
  h.match(1004 * kMin, "late-in-time", 1004 * kMin);
  h.match(1003 * kMin, "b", 1004 * kMin);
  h.match(1001 * kMin, "a", 1004 * kMin);
  h.windows.run_until(1005 * kMin + 1, h.emit);
  ASSERT_EQ(h.alerts.size(), 2u);
  EXPECT_EQ(h.alerts[0].first, "a");
  EXPECT_EQ(h.alerts[1].first, "b");
}

TEST(RuleWindows, LateEventsWithinTheLookBackAreCaughtLaterOnesAreMissed) {
  Harness h(schedule(5, 9, 100));
  h.windows.start(1000 * kMin);
  h.windows.run_until(1010 * kMin + 1, h.emit);  // executions 1000m, 1005m, 1010m have run
  EXPECT_EQ(h.windows.stats().executions, 3u);
  // Now 1010m+: the next execution (1015m) searches 1006m..1015m.
  EXPECT_TRUE(h.match(1007 * kMin, "late-3m", 1010 * kMin + 1));     // 3 minutes late: caught
  EXPECT_TRUE(h.match(1006 * kMin, "late-edge", 1010 * kMin + 1));   // window start is inclusive
  EXPECT_FALSE(h.match(1005 * kMin, "late-5m", 1010 * kMin + 1));    // before every pending window
  EXPECT_FALSE(h.match(990 * kMin, "very-late", 1010 * kMin + 1));
  h.windows.run_until(1015 * kMin + 1, h.emit);
  ASSERT_EQ(h.alerts.size(), 2u);
  EXPECT_EQ(h.alerts[0].first, "late-edge");
  EXPECT_EQ(h.alerts[1].first, "late-3m");
  EXPECT_EQ(h.windows.stats().late_missed, 2u);
}

TEST(RuleWindows, MemoryIsBoundedByTheCapPerPendingWindow) {
  Harness h(schedule(5, 9, 10));
  h.windows.start(1000 * kMin);
  for (int i = 0; i < 100000; ++i) h.match(1000 * kMin + i, "x" + std::to_string(i));
  EXPECT_LE(h.windows.kept_candidates(), 2u * 10u);
  EXPECT_LE(h.clones, 20);  // matches no window keeps are never copied
  EXPECT_EQ(h.windows.stats().matches, 100000u);
}

TEST(RuleWindows, EagerEmissionGivesTheSameAlertsAsScheduledExecution) {
  std::vector<int64_t> times;
  for (int i = 0; i < 400; ++i) times.push_back(1000 * kMin + i * 7919 % (30 * kMin) + i * 1000);
  std::sort(times.begin(), times.end());
  Harness scheduled(schedule(5, 9, 7)), eager(schedule(5, 9, 7), true);
  for (size_t i = 0; i < times.size(); ++i) {
    scheduled.match(times[i], std::to_string(i));
    eager.match(times[i], std::to_string(i));
  }
  scheduled.windows.finish(scheduled.emit);
  eager.windows.finish(eager.emit);
  std::vector<std::string> a, b;
  for (auto& [id, t] : scheduled.alerts) a.push_back(id);
  for (auto& [id, t] : eager.alerts) b.push_back(id);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  EXPECT_EQ(a, b);
  EXPECT_FALSE(a.empty());
  // Eager alerts are written when the match arrives, not at the execution.
  EXPECT_EQ(eager.alerts.front().second, times.front());
}

TEST(RuleWindows, GapsAreCountedWhenTheWindowIsShorterThanTheInterval) {
  Harness h(schedule(10, 5, 100));  // every 10m, looking back 5m: 5m of every 10m is never searched
  h.windows.start(1000 * kMin);
  h.match(1003 * kMin, "in-gap");  // window of 1010m is 1005m..1010m: not covered
  h.match(1007 * kMin, "covered");
  h.windows.run_until(1010 * kMin + 1, h.emit);
  ASSERT_EQ(h.alerts.size(), 1u);
  EXPECT_EQ(h.alerts[0].first, "covered");
  EXPECT_EQ(h.windows.stats().late_missed, 1u);
  EXPECT_EQ(h.windows.stats().gap_executions, 2u);
  EXPECT_EQ(h.windows.stats().gap_ms, 10 * kMin);
}

TEST(RuleWindows, ASequenceMustFitInOneWindow) {
  Harness h(schedule(5, 9, 100));
  h.windows.start(1000 * kMin);
  int made = 0;
  auto make = [&] {
    auto c = std::make_shared<Candidate>();
    c->window_ts = 1012 * kMin;
    c->order_ts = 1002 * kMin;
    c->dedup_id = "seq";
    ++made;
    return CandidatePtr(c);
  };
  // Events at 1002m..1012m span 10 minutes: no 9-minute window holds both ends.
  EXPECT_FALSE(h.windows.offer(1012 * kMin, 10 * kMin, 1002 * kMin, 1, 1012 * kMin, nullptr, make));
  EXPECT_EQ(made, 0);
  // 1007m..1012m fits the window of 1015m.
  EXPECT_TRUE(h.windows.offer(1012 * kMin, 5 * kMin, 1007 * kMin, 2, 1012 * kMin, nullptr, make));
  h.windows.finish(h.emit);
  ASSERT_EQ(h.alerts.size(), 1u);
  EXPECT_EQ(h.alerts[0].second, 1015 * kMin);
}

TEST(AlertIdStore, StateFileRoundTripsAndExpires) {
  const std::string path = ::testing::TempDir() + "/audetect_ids_state";
  std::remove(path.c_str());
  AlertIdStore a(30 * 24 * 60 * kMin);
  const std::string id1(64, 'a'), id2(64, 'b');
  EXPECT_TRUE(a.insert(id1, 1000, 0));
  EXPECT_FALSE(a.insert(id1, 1000, 0));
  EXPECT_TRUE(a.insert(id2, 2000, 0));
  ASSERT_TRUE(a.save(path).is_ok());
  AlertIdStore b(30 * 24 * 60 * kMin);
  ASSERT_TRUE(b.load(path, 1500 + 30 * 24 * 60 * kMin).is_ok());  // id1 has expired by then
  EXPECT_FALSE(b.contains(id1));
  EXPECT_TRUE(b.contains(id2));
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("not a state line\n", f);
    std::fclose(f);
  }
  AlertIdStore c;
  Status st = c.load(path, 0);
  EXPECT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(":1:1:"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace audetect::engine
