// Field schema: built-in ECS/auditd table, Elasticsearch mapping files, dynamic mapping, dates.
#include <gtest/gtest.h>

#include "eql/mapping.h"
#include "eql/ordering.h"
#include "eql/schema.h"
#include "event/json.h"

using namespace audetect;
using namespace audetect::eql;

namespace {

Event parse_event(std::string_view json, EventBuilder& builder) {
  JsonEventReader reader;
  JsonError err;
  EXPECT_EQ(reader.parse(json, builder, &err), JsonEventReader::Outcome::kEvent) << err.reason;
  return builder.finish();
}

constexpr int64_t kMs = 1'000'000;

}  // namespace

TEST(Schema, BuiltinKnowsEcsAndAuditdFields) {
  const Schema& s = Schema::builtin();
  EXPECT_FALSE(s.strict());
  EXPECT_GT(s.field_count(), 2500u);
  ASSERT_NE(s.find("process.name"), nullptr);
  EXPECT_EQ(s.find("process.name")->type, FieldType::kKeyword);
  EXPECT_EQ(s.find("process.name")->ignore_above, 1024u);
  EXPECT_EQ(s.find("process.pid")->type, FieldType::kLong);
  EXPECT_EQ(s.find("@timestamp")->type, FieldType::kDate);
  EXPECT_EQ(s.find("source.ip")->type, FieldType::kIp);
  EXPECT_EQ(s.find("process.command_line")->type, FieldType::kWildcard);
  EXPECT_EQ(s.find("event.category")->type, FieldType::kKeyword);
  ASSERT_NE(s.find("auditd.data.syscall"), nullptr);
  EXPECT_EQ(family_of(s.find("auditd.data.a0")->type), TypeFamily::kString);
  ASSERT_NE(s.find("process.Ext.ancestry"), nullptr);  // Elastic Defend fields used by cross-platform rules
  EXPECT_EQ(s.find("no.such.field"), nullptr);
  EXPECT_EQ(s.lookup("process").kind, FieldLookup::Kind::kObject);
  EXPECT_EQ(s.lookup("process.parent").kind, FieldLookup::Kind::kObject);
}

TEST(Schema, BuiltinAliasesResolveToTarget) {
  const Schema& s = Schema::builtin();
  FieldLookup l = s.lookup("process.cwd");  // auditbeat alias
  ASSERT_EQ(l.kind, FieldLookup::Kind::kField);
  EXPECT_TRUE(l.via_alias);
  EXPECT_EQ(l.path, "process.working_directory");
  EXPECT_EQ(l.info->type, FieldType::kKeyword);
}

TEST(Schema, NestedAndFlattened) {
  Schema s;
  s.add_object("a", /*nested=*/true);
  s.add_field("a.b", FieldInfo{FieldType::kKeyword, {}, 0, std::nullopt, {}, false});
  EXPECT_TRUE(s.lookup("a.b").in_nested);
  s.add_field("labels_flat", FieldInfo{FieldType::kFlattened, {}, 0, std::nullopt, {}, false});
  FieldLookup l = s.lookup("labels_flat.some.key");
  ASSERT_EQ(l.kind, FieldLookup::Kind::kField);
  EXPECT_EQ(l.info->type, FieldType::kKeyword);
}

TEST(Schema, AliasChainsAreCapped) {
  Schema s;
  s.add_alias("x", "y");
  s.add_alias("y", "x");
  FieldLookup l = s.lookup("x");  // a cycle must not hang
  EXPECT_EQ(l.kind, FieldLookup::Kind::kUnknown);
}

TEST(Mapping, ParsesEsQaStyleMapping) {
  const char* text = R"(# comment line as in endgame-140.mapping
// and a slash comment
{
  "properties": {
    "event_type": {"type": "[runtime_random_keyword_type]"},
    "event": {"properties": {
      "category": {"type": "alias", "path": "event_type"},
      "sequence": {"type": "alias", "path": "serial_event_id"}}},
    "serial_event_id": {"type": "long"},
    "file_name": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}},
    "body": {"type": "text"},
    "version": {"type": "version"},
    "opt": {"type": "keyword", "null_value": "NULL"},
    "when": {"type": "date", "format": "dd-MM-yyyy||epoch_millis"},
    "ip": {"type": "ip"},
    "score": {"type": "scaled_float", "scaling_factor": 100}
  }
})";
  auto r = parse_mapping(text, "test.mapping");
  ASSERT_TRUE(r) << r.status().message();
  const Schema& s = *r;
  EXPECT_TRUE(s.strict());
  EXPECT_EQ(s.find("event_type")->type, FieldType::kKeyword);
  FieldLookup cat = s.lookup("event.category");
  ASSERT_EQ(cat.kind, FieldLookup::Kind::kField);
  EXPECT_EQ(cat.path, "event_type");
  EXPECT_TRUE(cat.via_alias);
  EXPECT_EQ(s.lookup("event.sequence").path, "serial_event_id");
  EXPECT_EQ(s.find("file_name")->type, FieldType::kText);
  EXPECT_EQ(s.find("file_name")->keyword_subfield, "keyword");
  EXPECT_EQ(s.find("file_name")->effective_family(), TypeFamily::kString);
  EXPECT_EQ(s.find("body")->effective_family(), TypeFamily::kText);
  FieldLookup sub = s.lookup("file_name.keyword");
  ASSERT_EQ(sub.kind, FieldLookup::Kind::kField);
  EXPECT_EQ(sub.path, "file_name");
  EXPECT_EQ(sub.info->type, FieldType::kKeyword);
  EXPECT_EQ(s.find("version")->type, FieldType::kVersion);
  EXPECT_EQ(s.find("opt")->null_value, "NULL");
  EXPECT_EQ(s.find("when")->date_formats, (std::vector<std::string>{"dd-MM-yyyy", "epoch_millis"}));
  EXPECT_EQ(s.find("ip")->type, FieldType::kIp);
  EXPECT_EQ(s.find("score")->type, FieldType::kScaledFloat);
}

TEST(Mapping, AcceptsMappingsWrapper) {
  auto r = parse_mapping(R"({"idx": {"mappings": {"properties": {"a": {"type": "long"}}}}})");
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->find("a")->type, FieldType::kLong);
}

TEST(Mapping, RejectsBadInputWithReason) {
  auto bad_json = parse_mapping("{\"properties\": {", "m.json");
  ASSERT_FALSE(bad_json);
  EXPECT_NE(bad_json.status().message().find("m.json"), std::string::npos);
  auto bad_type = parse_mapping(R"({"properties": {"a": {"type": "nonsense"}}})", "m.json");
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.status().message().find("[a]"), std::string::npos);
  EXPECT_FALSE(parse_mapping(R"({"properties": {"a": {"type": "alias"}}})"));
  EXPECT_FALSE(parse_mapping(R"([1,2])"));
  EXPECT_FALSE(parse_mapping(R"({"nothing": 1, "here": 2})"));
  // Depth bomb: no crash, an error.
  std::string deep = "{\"properties\":";
  for (int i = 0; i < 200; ++i) deep += "{\"a\":{\"properties\":";
  deep += "{}";
  for (int i = 0; i < 200; ++i) deep += "}}";
  deep += "}";
  EXPECT_FALSE(parse_mapping(deep));
}

TEST(Mapping, MergeJoinsDateFormats) {
  auto a = parse_mapping(R"({"properties": {"d": {"type": "date", "format": "dd-MM-yyyy"}, "x": {"type": "long"}}})");
  auto b = parse_mapping(R"({"properties": {"d": {"type": "date", "format": "yyyy-MM-dd"}, "y": {"type": "ip"},
                             "x": {"type": "keyword"}}})");
  ASSERT_TRUE(a && b);
  Schema merged = *a;
  std::vector<std::string> conflicts;
  merged.merge(*b, &conflicts);
  EXPECT_EQ(merged.find("d")->date_formats, (std::vector<std::string>{"dd-MM-yyyy", "yyyy-MM-dd"}));
  EXPECT_EQ(merged.find("y")->type, FieldType::kIp);
  EXPECT_EQ(merged.find("x")->type, FieldType::kLong);
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_NE(conflicts[0].find("[x]"), std::string::npos);
}

TEST(Mapping, DynamicMappingLikeElasticsearch) {
  auto r = parse_mapping(R"({"properties": {"known": {"type": "keyword"}, "al": {"type": "alias", "path": "known"}}})");
  ASSERT_TRUE(r);
  Schema s = *r;
  EventBuilder b;
  Event e = parse_event(
      R"({"known": "x", "al": 5, "n": 1, "f": 1.5, "b": true, "when": "2022-05-04T12:00:00.000Z",
          "slash": "2022/05/04 12:00:00 +0000", "s": "hello", "arr": [null, 3, "x"], "obj": {"inner": "v"},
          "objs": [{"k": 1}, {"k": 2}], "nul": null})",
      b);
  size_t added = add_dynamic_fields(s, e);
  EXPECT_EQ(s.find("known")->type, FieldType::kKeyword);  // mapped fields are untouched
  EXPECT_EQ(s.find("n")->type, FieldType::kLong);
  EXPECT_EQ(s.find("f")->type, FieldType::kFloat);
  EXPECT_EQ(s.find("b")->type, FieldType::kBoolean);
  EXPECT_EQ(s.find("when")->type, FieldType::kDate);
  EXPECT_EQ(s.find("slash")->type, FieldType::kDate);
  EXPECT_EQ(s.find("s")->type, FieldType::kText);
  EXPECT_EQ(s.find("s")->keyword_subfield, "keyword");
  EXPECT_EQ(s.find("s")->ignore_above, 256u);
  EXPECT_TRUE(s.find("s")->dynamic);
  EXPECT_EQ(s.find("arr")->type, FieldType::kLong);  // first non-null element
  EXPECT_EQ(s.find("obj.inner")->type, FieldType::kText);
  EXPECT_EQ(s.lookup("obj").kind, FieldLookup::Kind::kObject);
  EXPECT_EQ(s.find("objs.k")->type, FieldType::kLong);
  EXPECT_EQ(s.lookup("nul").kind, FieldLookup::Kind::kUnknown);  // null maps nothing
  EXPECT_EQ(added, 9u);  // n f b when slash s arr obj.inner objs.k (not the alias "al")
  // An explicit mapping merged later wins over a dynamic guess.
  auto explicit_map = parse_mapping(R"({"properties": {"s": {"type": "keyword"}}})");
  s.merge(*explicit_map);
  EXPECT_EQ(s.find("s")->type, FieldType::kKeyword);
  // Budget respected.
  Schema small;
  EXPECT_EQ(add_dynamic_fields(small, e, 2), 2u);
}

TEST(Dates, Iso8601) {
  EXPECT_EQ(parse_iso8601_nanos("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601_nanos("1970-01-01"), 0);
  EXPECT_EQ(parse_iso8601_nanos("2022-05-04T12:00:00.000Z"), 1651665600000 * kMs);
  EXPECT_EQ(parse_iso8601_nanos("2022-05-04T14:00:00+02:00"), 1651665600000 * kMs);
  EXPECT_EQ(parse_iso8601_nanos("2022-05-04T12:00:00.123456789Z"), 1651665600123456789);
  EXPECT_EQ(parse_iso8601_nanos("2020-02-29"), 1582934400000 * kMs);
  EXPECT_FALSE(parse_iso8601_nanos("2021-02-29"));
  EXPECT_FALSE(parse_iso8601_nanos("2022-13-01"));
  EXPECT_FALSE(parse_iso8601_nanos("2022-05-04T25:00"));
  EXPECT_FALSE(parse_iso8601_nanos("not a date"));
  EXPECT_FALSE(parse_iso8601_nanos(""));
  EXPECT_FALSE(parse_iso8601_nanos("2022-05-04Tjunk"));
}

TEST(Dates, EpochMillisAndFormats) {
  EXPECT_EQ(parse_epoch_millis_nanos("1"), kMs);
  EXPECT_EQ(parse_epoch_millis_nanos("1234567991"), 1234567991 * kMs);
  EXPECT_EQ(parse_epoch_millis_nanos("-5"), -5 * kMs);
  EXPECT_EQ(parse_epoch_millis_nanos("1.5"), kMs + kMs / 2);
  EXPECT_FALSE(parse_epoch_millis_nanos("12a"));
  EXPECT_FALSE(parse_epoch_millis_nanos("99999999999999999999999"));
  EXPECT_EQ(parse_date_with_format("12-12-2022", "dd-MM-yyyy"), 1670803200000 * kMs);
  EXPECT_EQ(parse_date_with_format("2022-12-12", "yyyy-MM-dd"), 1670803200000 * kMs);
  EXPECT_FALSE(parse_date_with_format("2022-12-12", "dd-MM-yyyy"));
  EXPECT_EQ(parse_date_with_format("2022/12/12 01:02:03", "yyyy/MM/dd HH:mm:ss"), (1670803200000 + 3723000) * kMs);
  EXPECT_EQ(parse_date_with_format("20221212", "basic_date"), 1670803200000 * kMs);
  std::vector<std::string> both{"dd-MM-yyyy", "yyyy-MM-dd"};
  EXPECT_EQ(parse_date_nanos("13-12-2022", both), (1670803200000 + 86400000) * kMs);
  EXPECT_EQ(parse_date_nanos("2022-12-13", both), (1670803200000 + 86400000) * kMs);
  EXPECT_EQ(parse_date_nanos("1000"), 1000 * kMs);  // default format accepts epoch millis
}

TEST(Dates, FormatIso) {
  EXPECT_EQ(format_iso8601_millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601_millis(1651665600123 * kMs), "2022-05-04T12:00:00.123Z");
  EXPECT_EQ(format_iso8601_millis(-1 * kMs), "1969-12-31T23:59:59.999Z");
}

TEST(Ordering, TimestampThenTiebreakerThenArrival) {
  OrderReader reader(FieldPath("@timestamp"), FieldPath("seq"));
  EventBuilder b;
  OrderKey a, c, d;
  ASSERT_TRUE(reader.read(parse_event(R"({"@timestamp": "5", "seq": 2})", b), 0, a));
  ASSERT_TRUE(reader.read(parse_event(R"({"@timestamp": 5, "seq": 1})", b), 1, c));
  ASSERT_TRUE(reader.read(parse_event(R"({"@timestamp": "1970-01-01T00:00:00.004Z"})", b), 2, d));
  EXPECT_EQ(a.timestamp_nanos, 5 * kMs);
  EXPECT_TRUE(c < a);  // same time, smaller tiebreaker
  EXPECT_TRUE(d < c);  // earlier time
  OrderKey missing_tie;
  ASSERT_TRUE(reader.read(parse_event(R"({"@timestamp": 5})", b), 3, missing_tie));
  EXPECT_TRUE(a < missing_tie);  // missing tiebreaker sorts last
  OrderKey none;
  EXPECT_FALSE(reader.read(parse_event(R"({"seq": 1})", b), 4, none));
  EXPECT_FALSE(reader.read(parse_event(R"({"@timestamp": "garbage"})", b), 5, none));
}

TEST(Ordering, EventSequenceBreaksTiesBeforeArrival) {
  OrderReader reader(FieldPath("@timestamp"), std::nullopt);
  EventBuilder b;
  OrderKey later_serial, earlier_serial, no_serial;
  ASSERT_TRUE(reader.read(parse_event(R"({"@timestamp": 5, "event": {"sequence": 9}})", b), 0, later_serial));
  ASSERT_TRUE(reader.read(parse_event(R"({"@timestamp": 5, "event": {"sequence": 3}})", b), 1, earlier_serial));
  ASSERT_TRUE(reader.read(parse_event(R"({"@timestamp": 5})", b), 2, no_serial));
  EXPECT_TRUE(earlier_serial < later_serial);  // audit serial order, not arrival
  EXPECT_TRUE(later_serial < no_serial);
}

TEST(Dates, HostileFormatsAndValuesAreRejectedNotOverflowed) {
  EXPECT_FALSE(parse_date_with_format("1234567890123456789012345", "SSSSSSSSSSSSSSSSSSSSSSSSS"));
  EXPECT_FALSE(parse_date_with_format("99999999999999999999999999", "yyyyyyyyyyyyyyyyyyyyyyyyyyMM"));
  EXPECT_FALSE(parse_date_with_format("2022", "'unterminated"));
  EXPECT_FALSE(parse_iso8601_nanos("999999999-01-01"));
  EXPECT_FALSE(parse_iso8601_nanos("2022-01-01T00:00:00+99:00"));
  EXPECT_FALSE(date_value_nanos(Value::number(1e300)));
  EXPECT_FALSE(date_value_nanos(Value::integer(INT64_MAX)));
}

TEST(Dates, FormatInElasticsearchFormats) {
  int64_t t = (1670803200000 + 3723004) * kMs;  // 2022-12-12T01:02:03.004Z
  EXPECT_EQ(format_date(t, ""), "2022-12-12T01:02:03.004Z");
  EXPECT_EQ(format_date(t, "strict_date_optional_time"), "2022-12-12T01:02:03.004Z");
  EXPECT_EQ(format_date(t, "epoch_millis"), "1670806923004");
  EXPECT_EQ(format_date(t, "epoch_second"), "1670806923");
  EXPECT_EQ(format_date(t, "dd-MM-yyyy"), "12-12-2022");
  EXPECT_EQ(format_date(t, "yyyy/MM/dd HH:mm:ss.SSS"), "2022/12/12 01:02:03.004");
  EXPECT_EQ(format_date(t, "yyyy-MM-dd'T'HH"), "2022-12-12T01");
  EXPECT_EQ(format_date(t, "strict_date"), "2022-12-12");
  EXPECT_EQ(format_date(t, "MMMM"), "2022-12-12T01:02:03.004Z");  // month names: ISO fallback
  // Round trip through the parser for the pattern formats.
  EXPECT_EQ(parse_date_with_format(format_date(t, "yyyy/MM/dd HH:mm:ss.SSS"), "yyyy/MM/dd HH:mm:ss.SSS"), t);
}
