// Sample execution: one distinct event per filter per join-key value, keys in ascending order,
// max_samples_per_key, size.
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

const Schema& schema() {
  static const Schema s = [] {
    auto r = parse_mapping(R"({"properties": {
      "event": {"properties": {"category": {"type": "keyword"}}},
      "id": {"type": "long"}, "host": {"type": "keyword"}, "os": {"type": "keyword"},
      "op_sys": {"type": "keyword"}, "n": {"type": "long"}, "flag": {"type": "boolean"}}})");
    EXPECT_TRUE(r) << r.status().message();
    return *r;
  }();
  return s;
}

struct Result2 {
  std::vector<int64_t> ids;  // flattened
  std::vector<std::string> keys;
};

Result2 run(const std::string& query, const std::vector<std::string>& docs, RunnerOptions options = {}) {
  Result2 out;
  CompileResult c = compile(query, schema());
  EXPECT_TRUE(c.ok()) << c.diagnostics.render(query);
  if (!c.ok()) return out;
  QueryRunner runner(c.query, options);
  JsonEventReader reader;
  EventBuilder builder;
  for (const auto& d : docs) {
    JsonError err;
    EXPECT_EQ(reader.parse(d, builder, &err), JsonEventReader::Outcome::kEvent) << err.reason;
    runner.push(builder.finish());
  }
  FieldPath id("id");
  for (const Hit& h : runner.finish()) {
    for (const auto& e : h.events) out.ids.push_back(e.event.get(id)->as_int());
    for (const auto& k : h.join_keys) out.keys.push_back(join_key_text(k));
  }
  return out;
}

using Ids = std::vector<int64_t>;
using Keys = std::vector<std::string>;

}  // namespace

TEST(Sample, OneEventPerFilterPerKeyInKeyOrder) {
  std::vector<std::string> docs{
      R"({"event": {"category": "a"}, "id": 1, "host": "zed"})",
      R"({"event": {"category": "b"}, "id": 2, "host": "zed"})",
      R"({"event": {"category": "a"}, "id": 3, "host": "alpha"})",
      R"({"event": {"category": "b"}, "id": 4, "host": "alpha"})",
      R"({"event": {"category": "a"}, "id": 5, "host": "lonely"})",
  };
  auto r = run("sample by host [a where true] [b where true]", docs);
  EXPECT_EQ(r.ids, (Ids{3, 4, 1, 2}));  // no timestamps needed; "alpha" < "zed"; "lonely" has no b
  EXPECT_EQ(r.keys, (Keys{"alpha", "zed"}));
}

TEST(Sample, EventsAreDistinctAcrossFilters) {
  // Event 1 matches both filters; a sample needs two different events.
  std::vector<std::string> docs{R"({"event": {"category": "a"}, "id": 1, "host": "h", "n": 5})",
                                R"({"event": {"category": "a"}, "id": 2, "host": "h", "n": 1})"};
  auto r = run("sample by host [any where n > 0] [any where n > 2]", docs);
  EXPECT_EQ(r.ids, (Ids{2, 1}));
  EXPECT_TRUE(run("sample by host [any where n > 2] [any where n > 2]", docs).ids.empty());
}

TEST(Sample, PerFilterKeysAndBooleanKeys) {
  std::vector<std::string> docs{R"({"event": {"category": "a"}, "id": 1, "host": "h", "os": "linux", "flag": true})",
                                R"({"event": {"category": "b"}, "id": 2, "host": "h", "op_sys": "linux", "flag": true})",
                                R"({"event": {"category": "b"}, "id": 3, "host": "h", "op_sys": "win", "flag": false})"};
  auto r = run("sample by host [a where true] by os [b where true] by op_sys", docs);
  EXPECT_EQ(r.ids, (Ids{1, 2}));
  EXPECT_EQ(r.keys, (Keys{"h", "linux"}));
  auto b = run("sample by flag [a where true] [b where true]", docs);
  EXPECT_EQ(b.keys, (Keys{"true"}));
}

TEST(Sample, MaxSamplesPerKeyAndSize) {
  std::vector<std::string> docs;
  for (int i = 0; i < 6; ++i)
    docs.push_back("{\"event\": {\"category\": \"" + std::string(i % 2 ? "b" : "a") + "\"}, \"id\": " +
                   std::to_string(i + 1) + ", \"host\": \"h\"}");
  docs.push_back(R"({"event": {"category": "a"}, "id": 7, "host": "i"})");
  docs.push_back(R"({"event": {"category": "b"}, "id": 8, "host": "i"})");
  EXPECT_EQ(run("sample by host [a where true] [b where true]", docs).ids, (Ids{1, 2, 7, 8}));
  RunnerOptions o;
  o.max_samples_per_key = 2;
  // Samples of one key enumerate distinct-event picks in filter order; an event may recur.
  EXPECT_EQ(run("sample by host [a where true] [b where true]", docs, o).ids, (Ids{1, 2, 1, 4, 7, 8}));
  o.size = 1;
  EXPECT_EQ(run("sample by host [a where true] [b where true]", docs, o).ids, (Ids{1, 2}));
}
