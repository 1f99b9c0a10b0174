// Alert ids as Kibana computes them (detection-engine.md §6, §14.3) and the engine's date handling.
#include "engine/alert_id.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>

#include "engine/timestamp.h"
#include "event/json.h"

namespace audetect::engine {
namespace {

Event parse(const std::string& json, EventBuilder& b) {
  JsonEventReader reader;
  EXPECT_EQ(reader.parse(json, b, nullptr), JsonEventReader::Outcome::kEvent) << json;
  return b.finish();
}

TEST(AlertId, SyntheticDocumentIdFollowsTheRecipe) {
  // The example of detection-engine.md §6: host.id, time in ms, serial.
  EXPECT_EQ(synthetic_document_id("8f4b0c6e2a5d4b1e9c3f7a6d5e4c3b2a", 1700000000123, "48211"), "s9myh1-G3sUz_1EnZcet");
}

TEST(AlertId, SingleEventAlertIdEqualsKibanasForTheDocumentedExample) {
  SourceIdentity src{"logs-auditd_manager.auditd-default", "s9myh1-G3sUz_1EnZcet", 1};
  EXPECT_EQ(event_alert_id(src, "default", "80084fa9-8677-4453-8680-b891d3c0c778"),
            "2b6db7e3de4406f3a7bc3ca8fd3127c60800a924e36bb1c31b254499c6a22abf");
}

TEST(AlertId, IdentityComesFromTheEventFields) {
  EventBuilder b;
  Event e = parse(R"({"@timestamp":"2023-11-14T22:13:20.123Z","host":{"id":"8f4b0c6e2a5d4b1e9c3f7a6d5e4c3b2a"},
    "event":{"sequence":48211},"data_stream":{"type":"logs","dataset":"auditd_manager.auditd","namespace":"default"}})",
                  b);
  SourceIdentity id = source_identity(e, "fallback");
  EXPECT_EQ(id.index, "logs-auditd_manager.auditd-default");
  EXPECT_EQ(id.id, "s9myh1-G3sUz_1EnZcet");
  EXPECT_EQ(id.version, 1);

  EventBuilder b2;  // auditbeat shape: serial in auditd.sequence, index from the agent version
  Event e2 = parse(R"({"@timestamp":"2023-11-14T22:13:20.123Z","host":{"id":"8f4b0c6e2a5d4b1e9c3f7a6d5e4c3b2a"},
    "auditd":{"sequence":48211},"agent":{"type":"auditbeat","version":"8.17.0"}})",
                   b2);
  SourceIdentity id2 = source_identity(e2, "fallback");
  EXPECT_EQ(id2.index, "auditbeat-8.17.0");
  EXPECT_EQ(id2.id, "s9myh1-G3sUz_1EnZcet");

  EventBuilder b3;
  Event e3 = parse(R"({"message":"no identity at all"})", b3);
  EXPECT_EQ(source_identity(e3, "logs-x-default").index, "logs-x-default");
}

TEST(AlertId, SequenceIdsHashEveryBlocksAncestorsWithTheRuleUuidAfterEach) {
  std::vector<std::vector<Ancestor>> blocks = {{{"id0", "event", "idx", 0, ""}}, {{"id1", "event", "idx", 0, ""}}};
  auto ids = building_block_ids(blocks, "R");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], sha256_hex("id0idxRid1idxR0"));
  EXPECT_EQ(ids[1], sha256_hex("id0idxRid1idxR1"));
  std::vector<Ancestor> shell = {blocks[0][0], {ids[0], "signal", "", 1, "R"}, blocks[1][0], {ids[1], "signal", "", 1, "R"}};
  EXPECT_EQ(ancestors_alert_id(shell, "R"), sha256_hex("id0idx" + ids[0] + "id1idx" + ids[1] + "R"));
}

TEST(AlertId, Sha256KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Timestamp, ParsesTheFormsAuditDataUses) {
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T22:13:20.123Z"), 1700000000123);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T22:13:20.123456789Z"), 1700000000123);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T23:13:20.123+01:00"), 1700000000123);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14T21:13:20.123-0100"), 1700000000123);
  EXPECT_EQ(parse_iso8601_ms("2023-11-14 22:13:20.1"), 1700000000100);
  EXPECT_EQ(parse_iso8601_ms("1970-01-01"), 0);
  EXPECT_EQ(parse_iso8601_ms("1969-12-31T23:59:59.999Z"), -1);
  for (const char* bad : {"", "2023", "2023-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2023-11-14T25:00:00Z",
                          "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Zjunk", "yesterday"})
    EXPECT_FALSE(parse_iso8601_ms(bad).has_value()) << bad;
  EXPECT_EQ(parse_iso8601_ms("2024-02-29T00:00:00Z"), 1709164800000);
}

TEST(Timestamp, NumericDatesOutsideYears0To9999AreRejected) {
  EXPECT_EQ(date_value_ms(Value::integer(1700000000123)), 1700000000123);
  EXPECT_FALSE(date_value_ms(Value::integer(INT64_MAX)).has_value());
  EXPECT_FALSE(date_value_ms(Value::integer(INT64_MIN)).has_value());
  EXPECT_FALSE(date_value_ms(Value::number(1e300)).has_value());
  EXPECT_FALSE(date_value_ms(Value::number(std::nan(""))).has_value());
}

TEST(Timestamp, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_iso8601_ms(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
  for (int64_t t : {int64_t{951782400000}, int64_t{4102444799999}, int64_t{1709164800000}})
    EXPECT_EQ(parse_iso8601_ms(format_iso8601_ms(t)), t);
}

}  // namespace
}  // namespace audetect::engine
