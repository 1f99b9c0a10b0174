// Sequence execution: the ES state machine (docs/eql.md §9), maxspan, until, runs, per-stage keys,
// optional and multi-valued keys, missing-event stages, ordering, pipes and caps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "eql/eql.h"
#include "eql/mapping.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "event/json.h"

using namespace audetect;
using namespace audetect::eql;

namespace {

const char* kMapping = R"({"properties": {
  "@timestamp": {"type": "date"},
  "event": {"properties": {"category": {"type": "keyword"}}},
  "id": {"type": "long"},
  "k": {"type": "keyword"}, "k2": {"type": "keyword"}, "path": {"type": "keyword"},
  "exe": {"type": "keyword"}, "tags": {"type": "keyword"}, "n": {"type": "long"}
}})";

const Schema& schema() {
  static const Schema s = [] {
    auto r = parse_mapping(kMapping);
    EXPECT_TRUE(r) << r.status().message();
    return *r;
  }();
  return s;
}

struct Run {
  std::vector<std::vector<int64_t>> ids;  // per hit, -1 for missing stages
  std::vector<std::vector<std::string>> keys;
  RunnerStats stats;
};

Run run(const std::string& query, const std::vector<std::string>& docs, RunnerOptions options = {}) {
  Run out;
  CompileResult c = compile(query, schema());
  EXPECT_TRUE(c.ok()) << c.diagnostics.render(query);
  if (!c.ok()) return out;
  QueryRunner runner(c.query, options);
  JsonEventReader reader;
  EventBuilder builder;
  for (const auto& d : docs) {
    JsonError err;
    EXPECT_EQ(reader.parse(d, builder, &err), JsonEventReader::Outcome::kEvent) << d << ": " << err.reason;
    runner.push(builder.finish());
  }
  FieldPath id("id");
  for (const Hit& h : runner.finish()) {
    std::vector<int64_t> ids;
    for (const auto& e : h.events) ids.push_back(e.missing ? -1 : e.event.get(id)->as_int());
    out.ids.push_back(ids);
    std::vector<std::string> keys;
    for (const auto& k : h.join_keys) keys.push_back(join_key_text(k));
    out.keys.push_back(keys);
  }
  out.stats = runner.stats();
  return out;
}

// {"@timestamp": ts, "event": {"category": cat}, "id": id, extra...}
std::string ev(int64_t id, const char* cat, int64_t ts, const std::string& extra = R"("k": "u")") {
  return "{\"@timestamp\": " + std::to_string(ts) + ", \"event\": {\"category\": \"" + cat + "\"}, \"id\": " +
         std::to_string(id) + (extra.empty() ? "" : ", " + extra) + "}";
}

using Ids = std::vector<std::vector<int64_t>>;

}  // namespace

TEST(Sequence, OnePendingSequencePerSlot) {
  // A1 A2 B1 B2 C1 -> exactly A2 B1 C1; B2 finds slot 1 empty.
  auto r = run("sequence by k [a where true] [b where true] [c where true]",
               {ev(1, "a", 1), ev(2, "a", 2), ev(3, "b", 3), ev(4, "b", 4), ev(5, "c", 5)});
  EXPECT_EQ(r.ids, (Ids{{2, 3, 5}}));
  EXPECT_EQ(r.keys, (std::vector<std::vector<std::string>>{{"u"}}));
}

TEST(Sequence, KeysSeparateStateMachines) {
  auto r = run("sequence by k [a where true] [b where true]",
               {ev(1, "a", 1, R"("k": "x")"), ev(2, "a", 2, R"("k": "y")"), ev(3, "b", 3, R"("k": "y")"),
                ev(4, "b", 4, R"("k": "x")"), ev(5, "b", 5, R"("k": "X")")});
  EXPECT_EQ(r.ids, (Ids{{2, 3}, {1, 4}}));  // ordered by the last event; key equality is case-sensitive
  EXPECT_EQ(r.keys, (std::vector<std::vector<std::string>>{{"y"}, {"x"}}));
}

TEST(Sequence, StrictlyLaterEventAndSameEventSeveralStages) {
  // One event matching both items cannot be both; the next one can extend it.
  auto r = run("sequence [any where true] [any where true]", {ev(1, "a", 1), ev(2, "a", 2), ev(3, "a", 3)});
  EXPECT_EQ(r.ids, (Ids{{1, 2}, {2, 3}}));
}

TEST(Sequence, MaxspanRejects) {
  auto r = run("sequence by k with maxspan=10ms [a where true] [b where true]",
               {ev(1, "a", 0), ev(2, "b", 11), ev(3, "a", 20), ev(4, "b", 30)});
  EXPECT_EQ(r.ids, (Ids{{3, 4}}));  // 30 - 20 = 10: within maxspan (inclusive)
  EXPECT_EQ(r.stats.maxspan_rejections, 1u);
}

TEST(Sequence, UntilDropsPendingOfItsKey) {
  auto r = run("sequence by k [a where true] [b where true] until [c where true]",
               {ev(1, "a", 1), ev(2, "a", 2, R"("k": "v")"), ev(3, "c", 3), ev(4, "b", 4), ev(5, "b", 5, R"("k": "v")")});
  EXPECT_EQ(r.ids, (Ids{{2, 5}}));
  EXPECT_EQ(r.stats.until_rejections, 1u);
}

TEST(Sequence, RunsRepeatsAnItem) {
  auto r = run("sequence by k [a where true] with runs=2 [b where true]",
               {ev(1, "a", 1), ev(2, "b", 2), ev(3, "a", 3), ev(4, "a", 4), ev(5, "b", 5)});
  EXPECT_EQ(r.ids, (Ids{{3, 4, 5}}));
}

TEST(Sequence, PerStageKeysOnDifferentFields) {
  auto r = run("sequence [a where true] by path [b where true] by exe",
               {ev(1, "a", 1, R"("path": "/x")"), ev(2, "b", 2, R"("exe": "/y")"), ev(3, "b", 3, R"("exe": "/x")")});
  EXPECT_EQ(r.ids, (Ids{{1, 3}}));
  EXPECT_EQ(r.keys, (std::vector<std::vector<std::string>>{{"/x"}}));
}

TEST(Sequence, MissingKeyExcludesUnlessOptional) {
  std::vector<std::string> docs{ev(1, "a", 1, ""), ev(2, "b", 2, "")};
  EXPECT_TRUE(run("sequence by k [a where true] [b where true]", docs).ids.empty());
  auto r = run("sequence by ?k [a where true] [b where true]", docs);
  EXPECT_EQ(r.ids, (Ids{{1, 2}}));
  EXPECT_EQ(r.keys, (std::vector<std::vector<std::string>>{{"null"}}));
}

TEST(Sequence, MultiValuedKeysTakeTheCartesianProduct) {
  auto r = run("sequence by tags [a where true] [b where true]",
               {ev(1, "a", 1, R"("tags": ["t1", "t2"])"), ev(2, "b", 2, R"("tags": "t2")"),
                ev(3, "b", 3, R"("tags": ["t1", "t3"])")});
  EXPECT_EQ(r.ids, (Ids{{1, 2}, {1, 3}}));
  EXPECT_EQ(r.keys, (std::vector<std::vector<std::string>>{{"t2"}, {"t1"}}));
}

TEST(Sequence, OrderedByTimestampNotArrival) {
  auto r = run("sequence by k [a where true] [b where true]", {ev(2, "b", 20), ev(1, "a", 10)});
  EXPECT_EQ(r.ids, (Ids{{1, 2}}));
}

TEST(Sequence, TiebreakerThenArrival) {
  RunnerOptions o;
  o.tiebreaker_field = "n";
  auto r = run("sequence [a where true] [b where true]",
               {ev(2, "b", 5, R"("n": 2)"), ev(1, "a", 5, R"("n": 1)")}, o);
  EXPECT_EQ(r.ids, (Ids{{1, 2}}));
  // Without a tiebreaker equal timestamps keep arrival order: b then a, no sequence.
  EXPECT_TRUE(run("sequence [a where true] [b where true]", {ev(2, "b", 5), ev(1, "a", 5)}).ids.empty());
}

TEST(Sequence, MissingEventInTheMiddle) {
  const char* q = "sequence by k with maxspan=1s [a where true] ![x where true] [b where true]";
  EXPECT_EQ(run(q, {ev(1, "a", 1), ev(2, "b", 3)}).ids, (Ids{{1, -1, 2}}));
  auto r = run(q, {ev(1, "a", 1), ev(2, "x", 2), ev(3, "b", 3)});
  EXPECT_TRUE(r.ids.empty());
  EXPECT_EQ(r.stats.missing_event_rejections, 1u);
  // A missing-stage event of another key does not matter.
  EXPECT_EQ(run(q, {ev(1, "a", 1), ev(2, "x", 2, R"("k": "other")"), ev(3, "b", 3)}).ids, (Ids{{1, -1, 3}}));
}

TEST(Sequence, TrailingAndLeadingMissingEvents) {
  const char* trailing = "sequence by k with maxspan=10ms [a where true] [b where true] ![x where true]";
  EXPECT_EQ(run(trailing, {ev(1, "a", 0), ev(2, "b", 5), ev(3, "x", 11)}).ids, (Ids{{1, 2, -1}}));
  EXPECT_TRUE(run(trailing, {ev(1, "a", 0), ev(2, "b", 5), ev(3, "x", 9)}).ids.empty());
  const char* leading = "sequence by k with maxspan=10ms ![x where true] [a where true] [b where true]";
  EXPECT_EQ(run(leading, {ev(3, "x", 1), ev(1, "a", 20), ev(2, "b", 25)}).ids, (Ids{{-1, 1, 2}}));
  EXPECT_TRUE(run(leading, {ev(3, "x", 18), ev(1, "a", 20), ev(2, "b", 25)}).ids.empty());
}

TEST(Sequence, HeadTailAndSize) {
  std::vector<std::string> docs;
  for (int i = 0; i < 10; ++i) {
    docs.push_back(ev(2 * i + 1, "a", 2 * i, "\"k\": \"k" + std::to_string(i) + "\""));
    docs.push_back(ev(2 * i + 2, "b", 2 * i + 1, "\"k\": \"k" + std::to_string(i) + "\""));
  }
  const std::string q = "sequence by k [a where true] [b where true]";
  EXPECT_EQ(run(q, docs).ids.size(), 10u);
  EXPECT_EQ(run(q + " | head 2", docs).ids, (Ids{{1, 2}, {3, 4}}));
  EXPECT_EQ(run(q + " | tail 2", docs).ids, (Ids{{17, 18}, {19, 20}}));
  EXPECT_EQ(run(q + " | head 4 | tail 2", docs).ids, (Ids{{5, 6}, {7, 8}}));
  RunnerOptions o;
  o.size = 3;
  EXPECT_EQ(run(q, docs, o).ids.size(), 3u);
  o.size = 0;
  EXPECT_TRUE(run(q, docs, o).ids.empty());
}

TEST(Sequence, OpenKeyCapIsCounted) {
  RunnerOptions o;
  o.max_open_keys = 2;
  std::vector<std::string> docs;
  for (int i = 0; i < 5; ++i) docs.push_back(ev(i + 1, "a", i, "\"k\": \"k" + std::to_string(i) + "\""));
  for (int i = 0; i < 5; ++i) docs.push_back(ev(i + 11, "b", 10 + i, "\"k\": \"k" + std::to_string(i) + "\""));
  auto r = run("sequence by k [a where true] [b where true]", docs, o);
  EXPECT_EQ(r.ids, (Ids{{1, 11}, {2, 12}}));
  EXPECT_EQ(r.stats.key_cap_hits, 3u);
}

TEST(Sequence, BufferCapProcessesEarlyAndStaysCorrectForOrderedInput) {
  RunnerOptions o;
  o.max_buffered_events = 8;
  std::vector<std::string> docs;
  for (int i = 0; i < 50; ++i) docs.push_back(ev(i + 1, i % 2 ? "b" : "a", i));
  auto r = run("sequence by k [a where true] [b where true]", docs, o);
  EXPECT_EQ(r.ids.size(), 25u);
  EXPECT_GT(r.stats.buffer_cap_hits, 0u);
}

TEST(Sequence, EventsWithoutTimestampAreCountedAndSkipped) {
  auto r = run("sequence [a where true] [b where true]",
               {R"({"event": {"category": "a"}, "id": 1})", ev(2, "a", 1), ev(3, "b", 2)});
  EXPECT_EQ(r.ids, (Ids{{2, 3}}));
  EXPECT_EQ(r.stats.events_without_timestamp, 1u);
}

TEST(EventQuery, OrderedLimitedAndTail) {
  std::vector<std::string> docs{ev(3, "a", 30), ev(1, "a", 10), ev(2, "a", 20), ev(4, "b", 5)};
  EXPECT_EQ(run("a where true", docs).ids, (Ids{{1}, {2}, {3}}));
  EXPECT_EQ(run("a where true | tail 2", docs).ids, (Ids{{2}, {3}}));
  EXPECT_EQ(run("a where true | head 1", docs).ids, (Ids{{1}}));
  RunnerOptions o;
  o.size = 2;
  o.max_buffered_events = 2;  // pruning while streaming keeps the earliest
  EXPECT_EQ(run("any where true", docs, o).ids, (Ids{{4}, {1}}));
}

TEST(EventQuery, MixedPipesWithSmallBufferStayExact) {
  std::vector<std::string> docs;
  for (int i = 0; i < 10; ++i) docs.push_back(ev(i + 1, "a", i));
  RunnerOptions o;
  o.max_buffered_events = 2;
  EXPECT_EQ(run("a where true | head 3 | tail 2", docs, o).ids, (Ids{{2}, {3}}));
  EXPECT_EQ(run("a where true | tail 3 | head 1", docs, o).ids, (Ids{{8}}));
  o.size = 2;
  EXPECT_EQ(run("a where true | tail 5", docs, o).ids, (Ids{{9}, {10}}));
}

TEST(EventQuery, OverflowSinkReleasesEarlyInOrder) {
  CompileResult c = compile("a where true", schema());
  ASSERT_TRUE(c.ok());
  RunnerOptions o;
  o.max_buffered_events = 4;
  QueryRunner runner(c.query, o);
  std::vector<int64_t> seen;
  FieldPath id("id");
  runner.set_overflow_sink([&](Hit&& h) { seen.push_back(h.events[0].event.get(id)->as_int()); });
  JsonEventReader reader;
  EventBuilder builder;
  for (int i = 0; i < 20; ++i) {
    JsonError err;
    ASSERT_EQ(reader.parse(ev(i + 1, "a", i), builder, &err), JsonEventReader::Outcome::kEvent);
    runner.push(builder.finish());
  }
  EXPECT_FALSE(seen.empty());
  for (const Hit& h : runner.finish()) seen.push_back(h.events[0].event.get(id)->as_int());
  std::vector<int64_t> expected;
  for (int i = 1; i <= 20; ++i) expected.push_back(i);
  EXPECT_EQ(seen, expected);
}

TEST(Sequence, OverflowSinkReleasesCompletedSequencesInOrder) {
  CompileResult c = compile("sequence by k [a where true] [b where true]", schema());
  ASSERT_TRUE(c.ok());
  RunnerOptions o;
  o.max_buffered_events = 4;
  QueryRunner runner(c.query, o);
  std::vector<int64_t> firsts;
  FieldPath id("id");
  runner.set_overflow_sink([&](Hit&& h) {
    EXPECT_EQ(h.join_key_texts, std::vector<std::string>{"u"});
    firsts.push_back(h.events[0].event.get(id)->as_int());
  });
  JsonEventReader reader;
  EventBuilder builder;
  for (int i = 0; i < 40; ++i) {
    JsonError err;
    ASSERT_EQ(reader.parse(ev(i + 1, i % 2 ? "b" : "a", i), builder, &err), JsonEventReader::Outcome::kEvent);
    runner.push(builder.finish());
  }
  size_t early = firsts.size();
  EXPECT_GT(early, 0u);
  for (const Hit& h : runner.finish()) firsts.push_back(h.events[0].event.get(id)->as_int());
  ASSERT_EQ(firsts.size(), 20u);
  for (size_t i = 0; i < firsts.size(); ++i) EXPECT_EQ(firsts[i], static_cast<int64_t>(2 * i + 1));
}

TEST(Sequence, DateJoinKeysRenderedInTheFieldsFirstFormat) {
  auto mapping = parse_mapping(R"({"properties": {"@timestamp": {"type": "date"},
    "event": {"properties": {"category": {"type": "keyword"}}}, "id": {"type": "long"},
    "day": {"type": "date", "format": "dd-MM-yyyy||epoch_millis"}, "when": {"type": "date"}}})");
  ASSERT_TRUE(mapping);
  for (auto [key, expected] : {std::pair<const char*, const char*>{"day", "12-12-2022"},
                               std::pair<const char*, const char*>{"when", "2022-12-12T00:00:00.000Z"}}) {
    std::string q = std::string("sequence by ") + key + " [a where true] [b where true]";
    CompileResult c = compile(q, *mapping);
    ASSERT_TRUE(c.ok()) << c.diagnostics.render(q);
    QueryRunner runner(c.query, RunnerOptions{});
    JsonEventReader reader;
    EventBuilder builder;
    for (const char* doc : {R"({"@timestamp": 1, "event": {"category": "a"}, "id": 1, "day": "12-12-2022", "when": "2022-12-12T00:00:00Z"})",
                            R"({"@timestamp": 2, "event": {"category": "b"}, "id": 2, "day": "12-12-2022", "when": 1670803200000})"}) {
      JsonError err;
      ASSERT_EQ(reader.parse(doc, builder, &err), JsonEventReader::Outcome::kEvent);
      runner.push(builder.finish());
    }
    auto hits = runner.finish();
    ASSERT_EQ(hits.size(), 1u) << key;
    EXPECT_EQ(hits[0].join_key_texts, std::vector<std::string>{expected}) << key;
  }
}

TEST(Sequence, ReleaseBeforeWatermarkEmitsFinalSequences) {
  for (const char* q : {"sequence by k [a where true] [b where true]",
                        "sequence by k with maxspan=10ms [a where true] [b where true] ![x where true]"}) {
    CompileResult c = compile(q, schema());
    ASSERT_TRUE(c.ok());
    QueryRunner runner(c.query, RunnerOptions{});
    std::vector<std::vector<int64_t>> got;
    FieldPath id("id");
    runner.set_overflow_sink([&](Hit&& h) {
      std::vector<int64_t> ids;
      for (const auto& e : h.events) ids.push_back(e.missing ? -1 : e.event.get(id)->as_int());
      got.push_back(ids);
    });
    JsonEventReader reader;
    EventBuilder builder;
    auto push = [&](const std::string& doc) {
      JsonError err;
      ASSERT_EQ(reader.parse(doc, builder, &err), JsonEventReader::Outcome::kEvent);
      runner.push(builder.finish());
    };
    push(ev(1, "a", 0));
    push(ev(2, "b", 5));
    runner.release_before(3 * 1'000'000);  // only event 1 is old enough
    EXPECT_TRUE(got.empty()) << q;
    runner.release_before(100 * 1'000'000);  // both processed; trailing window (0 + 10ms) closed
    EXPECT_EQ(got, (Ids{std::string(q).find("![") == std::string::npos ? std::vector<int64_t>{1, 2}
                                                                        : std::vector<int64_t>{1, 2, -1}}))
        << q;
    EXPECT_TRUE(runner.finish().empty()) << q;
  }
}
