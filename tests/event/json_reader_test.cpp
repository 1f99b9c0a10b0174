#include <gtest/gtest.h>

#include <string>

#include "event/event.h"
#include "event/json.h"

namespace audetect {
namespace {

using Outcome = JsonEventReader::Outcome;

struct Parsed {
  Outcome outcome;
  std::string json;  // re-serialized event, or the error
  size_t column = 0;
};

Parsed parse(std::string_view line) {
  static JsonEventReader reader;
  static EventBuilder builder;
  JsonError err;
  Parsed p{reader.parse(line, builder, &err), {}, 0};
  if (p.outcome == Outcome::kEvent) {
    write_ndjson(p.json, builder.finish());
    p.json.pop_back();
  } else if (p.outcome == Outcome::kError) {
    p.json = err.reason;
    p.column = err.column;
  }
  return p;
}

TEST(JsonEventReader, RoundTripsTypes) {
  auto p = parse(R"({"a":1,"b":-2.5,"c":"x\ny","d":true,"e":null,"f":[1,"two",[3]],"g":{"h":{}}})");
  ASSERT_EQ(p.outcome, Outcome::kEvent) << p.json;
  EXPECT_EQ(p.json, R"({"a":1,"b":-2.5,"c":"x\ny","d":true,"e":null,"f":[1,"two",[3]],"g":{"h":{}}})");
}

TEST(JsonEventReader, ExpandsDottedKeysAndMergesObjects) {
  auto p = parse(R"({"event.category":"file","event":{"kind":"event"},"process.parent.pid":1})");
  ASSERT_EQ(p.outcome, Outcome::kEvent) << p.json;
  EXPECT_EQ(p.json, R"({"event":{"category":"file","kind":"event"},"process":{"parent":{"pid":1}}})");
}

TEST(JsonEventReader, TakesSourceOfAnElasticsearchHit) {
  auto p = parse(R"({"_index":"auditbeat-1","_id":"x","_source":{"process":{"pid":5}}})");
  ASSERT_EQ(p.outcome, Outcome::kEvent) << p.json;
  EXPECT_EQ(p.json, R"({"process":{"pid":5}})");
}

TEST(JsonEventReader, IgnoresBulkActionsAndBlankLines) {
  EXPECT_EQ(parse(R"({"index":{"_index":"x"}})").outcome, Outcome::kIgnored);
  EXPECT_EQ(parse("   \r\n").outcome, Outcome::kIgnored);
  EXPECT_EQ(parse(R"({"index":"not an action"})").outcome, Outcome::kEvent);
}

TEST(JsonEventReader, ReportsErrorsWithColumns) {
  auto p = parse(R"({"a":1,})");
  EXPECT_EQ(p.outcome, Outcome::kError);
  EXPECT_FALSE(p.json.empty());
  p = parse(R"([1,2])");
  EXPECT_EQ(p.outcome, Outcome::kError);
  EXPECT_EQ(p.json, "a line must hold one JSON object");
  p = parse(R"({"a":1} x)");
  EXPECT_EQ(p.outcome, Outcome::kError);
  p = parse(R"({"a":1} {})");
  EXPECT_EQ(p.outcome, Outcome::kError);
  EXPECT_EQ(p.json, "trailing content after the JSON object");
  EXPECT_EQ(p.column, 9u);
  p = parse(R"({"a":tru})");
  EXPECT_EQ(p.outcome, Outcome::kError);
}

TEST(JsonEventReader, DepthIsCapped) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 100; ++i) deep += "}";
  auto p = parse(deep);
  EXPECT_EQ(p.outcome, Outcome::kError);
}

TEST(JsonEventReader, RepairsInvalidUtf8) {
  JsonEventReader reader;
  EventBuilder builder;
  JsonError err;
  bool repaired = false;
  ASSERT_EQ(reader.parse("{\"a\":\"x\xff y\"}", builder, &err, &repaired), Outcome::kEvent);
  EXPECT_TRUE(repaired);
  EXPECT_EQ(builder.finish().get(FieldPath("a"))->as_string(), "x\xef\xbf\xbd y");
}

TEST(JsonEventReader, BigIntegersBecomeDoubles) {
  auto p = parse(R"({"a":18446744073709551615,"b":123456789012345678901234567890})");
  ASSERT_EQ(p.outcome, Outcome::kEvent) << p.json;
  EXPECT_EQ(p.json, R"({"a":18446744073709551616.0,"b":1.2345678901234568e+29})");
}

}  // namespace
}  // namespace audetect
