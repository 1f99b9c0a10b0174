// Operator semantics of the compiled evaluator (docs/eql.md §4-§7), each with events built here.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "eql/wildcard.h"
#include "eql_test_util.h"

namespace audetect::eql {
namespace {

using testing::matches;

constexpr const char* kKmod = R"({"event":{"category":["process"]},"process":{"name":"Kmod","pid":42}})";

TEST(Equality, CaseSensitiveNoWildcards) {
  EXPECT_FALSE(matches(R"(process where process.name == "kmod")", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name == "Kmod")", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name == "K*")", kKmod));  // * is literal
  EXPECT_TRUE(matches(R"(process where process.name == "K*")", R"({"event":{"category":"process"},"process":{"name":"K*"}})"));
}

TEST(Equality, NotEqualIncludesMissing) {
  EXPECT_FALSE(matches(R"(process where process.name != "Kmod")", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name != "x")", kKmod));
  EXPECT_TRUE(matches(R"(process where user.id != "0")", kKmod));  // absent field
  EXPECT_FALSE(matches(R"(process where user.id == "0")", kKmod));
}

TEST(Equality, NullChecks) {
  EXPECT_TRUE(matches(R"(process where user.id == null)", kKmod));
  EXPECT_FALSE(matches(R"(process where user.id != null)", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name != null)", kKmod));
  // An explicit JSON null is no value.
  EXPECT_TRUE(matches(R"(any where user.id == null)", R"({"user":{"id":null}})"));
  // An empty array is no value.
  EXPECT_TRUE(matches(R"(any where tags == null)", R"({"tags":[]})"));
}

TEST(Category, CaseSensitiveAnyElement) {
  EXPECT_TRUE(matches(R"(process where true)", kKmod));
  EXPECT_FALSE(matches(R"(Process where true)", kKmod));
  EXPECT_FALSE(matches(R"(file where true)", kKmod));
  EXPECT_TRUE(matches(R"(file where true)", R"({"event":{"category":["network","file"]}})"));
  EXPECT_TRUE(matches(R"(any where true)", R"({"x":1})"));
  EXPECT_FALSE(matches(R"(process where true)", R"({"x":1})"));
  EXPECT_TRUE(matches(R"("process" where true)", kKmod));
}

TEST(Category, ConfigurableField) {
  Schema s;
  s.add_field("event_type", testing::typed(FieldType::kKeyword));
  s.add_field("pid", testing::typed(FieldType::kLong));
  CompileOptions opts;
  opts.event_category_field = "event_type";
  auto q = testing::compile_ok("process where pid == 1", s, opts);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->matches(testing::event_from_json(R"({"event_type":"process","pid":1})")));
  EXPECT_FALSE(q->matches(testing::event_from_json(R"({"event_type":"file","pid":1})")));
}

TEST(Colon, CaseInsensitiveWildcards) {
  EXPECT_TRUE(matches(R"(process where process.name : "kmod")", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name : "k?od")", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name : "*MO*")", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name : "mod")", kKmod));  // whole value
  EXPECT_TRUE(matches(R"(process where process.name : ("x", "K*"))", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name : ("x", "y"))", kKmod));
  // ? is exactly one code point, also for multi-byte characters.
  const char* e = R"({"event":{"category":"process"},"process":{"name":"caf\u00e9"}})";
  EXPECT_TRUE(matches(R"(process where process.name : "caf?")", e));
  EXPECT_FALSE(matches(R"(process where process.name : "caf??")", e));
  EXPECT_TRUE(matches(R"(process where process.name : "CAFÉ")", e));  // Unicode simple folding
  // Backslash is an ordinary character in the pattern.
  EXPECT_TRUE(matches(R"(any where file.path : "C:\\*")", R"({"file":{"path":"C:\\x"}})"));
}

TEST(Colon, NoMultiCharacterFolds) {
  const char* e = R"({"process":{"name":"stra\u00dfe"}})";
  EXPECT_TRUE(matches(R"(any where process.name : "STRAßE")", e));
  EXPECT_FALSE(matches(R"(any where process.name : "strasse")", e));
}

TEST(Like, SensitiveAndInsensitive) {
  EXPECT_TRUE(matches(R"(process where process.name like "K*")", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name like "k*")", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name like~ "k*")", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name like ("a", "?mod"))", kKmod));
}

TEST(Regex, AnchoredLucene) {
  EXPECT_TRUE(matches(R"(process where process.name regex "[A-Z]mod")", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name regex "mod")", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name regex "kmod")", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name regex~ "kmod")", kKmod));
  EXPECT_TRUE(matches(R"q(process where process.name regex """K.o(d|x)""")q", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name regex ("x", "K.*"))", kKmod));
  // Lucene quoting and escapes; ^ and $ are literals in Lucene.
  EXPECT_TRUE(matches(R"(any where file.name regex """a"+"b""")", R"({"file":{"name":"a+b"}})"));
  EXPECT_TRUE(matches(R"(any where file.name regex """a\.b""")", R"({"file":{"name":"a.b"}})"));
  EXPECT_FALSE(matches(R"(any where file.name regex """a\.b""")", R"({"file":{"name":"axb"}})"));
  EXPECT_TRUE(matches(R"(any where file.name regex """^x$""")", R"({"file":{"name":"^x$"}})"));
}

TEST(Regex, UntranslatableRejected) {
  EXPECT_EQ(testing::error_code(R"(any where file.name regex "a&b")"), DiagCode::kUnsupportedRegex);
  EXPECT_EQ(testing::error_code(R"(any where file.name regex "~a")"), DiagCode::kUnsupportedRegex);
  EXPECT_EQ(testing::error_code(R"(any where file.name regex "<1-5>")"), DiagCode::kUnsupportedRegex);
  EXPECT_EQ(testing::error_code(R"(any where file.name regex "a(b")"), DiagCode::kUnsupportedRegex);
  EXPECT_NE(testing::error_text(R"(any where file.name regex "a&b")").find("intersection"), std::string::npos);
}

TEST(In, SensitiveSetAndNegation) {
  EXPECT_TRUE(matches(R"(process where process.name in ("kmod", "Kmod"))", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name in ("kmod", "KMOD"))", kKmod));
  EXPECT_TRUE(matches(R"(process where process.name in~ ("kmod"))", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name in~ ("k*"))", kKmod));  // verbatim, no wildcards
  EXPECT_TRUE(matches(R"(process where process.name not in ("a", "b"))", kKmod));
  EXPECT_FALSE(matches(R"(process where process.name not in~ ("KMOD"))", kKmod));
  EXPECT_TRUE(matches(R"(process where user.id not in ("a"))", kKmod));  // missing
  EXPECT_TRUE(matches(R"(process where process.pid in (1, 42, 7))", kKmod));
  EXPECT_FALSE(matches(R"(process where process.pid in (1, 7))", kKmod));
}

TEST(Arrays, AnyElement) {
  const char* e = R"({"tags":["a","bx"],"process":{"args":["-i","KVM"]}})";
  EXPECT_TRUE(matches(R"(any where tags == "a")", e));
  EXPECT_FALSE(matches(R"(any where tags != "a")", e));
  EXPECT_TRUE(matches(R"(any where tags != "c")", e));
  EXPECT_FALSE(matches(R"(any where not endsWith(tags, "x"))", e));
  EXPECT_TRUE(matches(R"(any where length(tags) == 2)", e));  // per value, not the array size
  EXPECT_FALSE(matches(R"(any where length(tags) == 3)", e));
  EXPECT_TRUE(matches(R"(any where process.args : "kvm")", e));
  // Arrays of objects contribute each element's member.
  EXPECT_TRUE(matches(R"(any where user.name == "b")", R"({"user":[{"name":"a"},{"name":"b"}]})"));
}

TEST(TwoLayer, NotOverIndexPredicateOnMissingField) {
  // Index predicate: missing -> false; not -> true.
  EXPECT_TRUE(matches(R"(any where not process.title : "*abc*")", R"({"x":1})"));
  EXPECT_TRUE(matches(R"(any where not process.name == "a")", R"({"x":1})"));
  EXPECT_TRUE(matches(R"(any where not startsWith(process.name, "a"))", R"({"x":1})"));
  EXPECT_TRUE(matches(R"(any where not stringContains(process.name, "a"))", R"({"x":1})"));
}

TEST(TwoLayer, NotFoldedIntoScript) {
  // Script predicate over a missing field: null, and `not null` is null -> no match.
  EXPECT_FALSE(matches(R"(any where not length(process.name) > 3)", R"({"x":1})"));
  EXPECT_FALSE(matches(R"(any where length(process.name) > 3)", R"({"x":1})"));
  EXPECT_TRUE(matches(R"(any where not length(process.name) > 3)", R"({"process":{"name":"ab"}})"));
  // Mixed: the script subtree reduces to false, then the boolean layer applies.
  EXPECT_TRUE(matches(R"(any where not (length(process.name) > 3 and process.pid == 1))", R"({"x":1})"));
  // Three-valued inside one script: null or true = true.
  EXPECT_TRUE(matches(R"(any where length(process.name) > 3 or length(file.name) == 1)", R"({"file":{"name":"a"}})"));
}

TEST(Optional, UnknownOptionalFieldIsNull) {
  EXPECT_TRUE(matches(R"(any where ?nope == null)", R"({"x":1})"));
  EXPECT_FALSE(matches(R"(any where ?nope != null)", R"({"x":1})"));
  EXPECT_FALSE(matches(R"(any where ?nope == "a")", R"({"x":1})"));
  EXPECT_FALSE(matches(R"(any where not ?nope == "a")", R"({"x":1})"));  // null folds through not
  // A known optional field behaves like the field.
  EXPECT_TRUE(matches(R"(any where ?user.id != null)", R"({"user":{"id":"0"}})"));
  EXPECT_FALSE(matches(R"(any where ?user.id != null)", R"({"x":1})"));
}

TEST(Types, KeywordWithNumberLiteral) {
  EXPECT_TRUE(matches(R"(any where user.id == 0)", R"({"user":{"id":"0"}})"));
  EXPECT_TRUE(matches(R"(any where user.id == "0")", R"({"user":{"id":0}})"));  // JSON number indexed as text
}

TEST(Types, LongField) {
  EXPECT_TRUE(matches(R"(any where process.pid == "42")", R"({"process":{"pid":42}})"));
  EXPECT_TRUE(matches(R"(any where process.pid == 42)", R"({"process":{"pid":"42"}})"));  // numeric string value
  EXPECT_TRUE(matches(R"(any where process.pid < 42.5)", R"({"process":{"pid":42}})"));
  EXPECT_FALSE(matches(R"(any where process.pid > 42)", R"({"process":{"pid":42}})"));
  EXPECT_TRUE(matches(R"(any where process.pid >= 42)", R"({"process":{"pid":42}})"));
  EXPECT_TRUE(matches(R"(any where process.pid > -1)", R"({"process":{"pid":0}})"));
  EXPECT_TRUE(matches(R"(any where -1 < process.pid)", R"({"process":{"pid":0}})"));  // constant on the left
  EXPECT_EQ(testing::error_code(R"(any where process.pid == "abc")"), DiagCode::kLiteralCoercion);
  EXPECT_EQ(testing::error_code(R"(any where process.pid == 1.5)"), DiagCode::kLiteralCoercion);
}

TEST(Types, StringRangesByCodePoint) {
  const char* e = R"({"process":{"name":"b"}})";
  EXPECT_TRUE(matches(R"(any where process.name > "B")", e));  // 'b' (0x62) > 'B' (0x42)
  EXPECT_TRUE(matches(R"(any where process.name < "c")", e));
  EXPECT_FALSE(matches(R"(any where process.name < "a")", e));
  EXPECT_TRUE(matches(R"(any where process.name <= "b")", e));
}

TEST(Types, DoubleBooleanDateIpVersion) {
  EXPECT_TRUE(matches(R"(any where process.score > 1.5)", R"({"process":{"score":2}})"));
  EXPECT_TRUE(matches(R"(any where process.interactive == true)", R"({"process":{"interactive":true}})"));
  EXPECT_TRUE(matches(R"(any where process.interactive == "false")", R"({"process":{"interactive":false}})"));
  EXPECT_TRUE(matches(R"(any where @timestamp > "2020-01-01")", R"({"@timestamp":"2021-05-01T10:00:00.000Z"})"));
  EXPECT_TRUE(matches(R"(any where @timestamp == 1000)", R"({"@timestamp":"1970-01-01T00:00:01Z"})"));
  EXPECT_TRUE(matches(R"(any where @timestamp < "2020-01-01T00:00:00Z")", R"({"@timestamp":1000})"));
  EXPECT_TRUE(matches(R"(any where source.ip == "10.0.0.0/8")", R"({"source":{"ip":"10.1.2.3"}})"));
  EXPECT_FALSE(matches(R"(any where source.ip == "10.0.0.0/8")", R"({"source":{"ip":"11.1.2.3"}})"));
  EXPECT_TRUE(matches(R"(any where source.ip == "::1")", R"({"source":{"ip":"::1"}})"));
  EXPECT_TRUE(matches(R"(any where cidrMatch(source.ip, "192.168.0.0/16", "fe80::/10"))", R"({"source":{"ip":"fe80::1"}})"));
  EXPECT_FALSE(matches(R"(any where cidrMatch(source.ip, "192.168.0.0/16"))", R"({"x":1})"));
  EXPECT_TRUE(matches(R"(any where not cidrMatch(source.ip, "192.168.0.0/16"))", R"({"x":1})"));
  EXPECT_TRUE(matches(R"(any where package.version > "1.5.0")", R"({"package":{"version":"1.11.3"}})"));
  EXPECT_FALSE(matches(R"(any where package.version < "1.5.0")", R"({"package":{"version":"1.11.3"}})"));
  EXPECT_TRUE(matches(R"(any where package.version < "1.0.0")", R"({"package":{"version":"1.0.0-rc1"}})"));
  EXPECT_EQ(testing::error_code(R"(any where source.ip == "nope")"), DiagCode::kLiteralCoercion);
  EXPECT_EQ(testing::error_code(R"(any where cidrMatch(process.name, "10.0.0.0/8"))"), DiagCode::kArgumentType);
}

TEST(Types, TextFields) {
  EXPECT_EQ(testing::error_code(R"(any where message == "x")"), DiagCode::kTextField);
  EXPECT_TRUE(matches(R"(any where process.command_line == "ls -l")", R"({"process":{"command_line":"ls -l"}})"));
  EXPECT_TRUE(matches(R"(any where process.command_line.keyword == "ls -l")", R"({"process":{"command_line":"ls -l"}})"));
}

TEST(Types, AliasesResolve) {
  EXPECT_TRUE(matches(R"(any where pid_alias == 42)", R"({"process":{"pid":42}})"));
}

TEST(Types, IgnoreAboveEmulated) {
  std::string long_name(1100, 'a');
  std::string json = R"({"process":{"name":")" + long_name + R"("}})";
  EXPECT_FALSE(matches("any where process.name : \"a*\"", json));
  EXPECT_FALSE(matches("any where process.name == \"" + long_name + "\"", json));
  EXPECT_FALSE(matches("any where process.name != null", json));  // exists misses unindexed values
  EXPECT_TRUE(matches("any where process.name == null", json));
  // Scripts read doc values, which skip such values too: the field is missing for them.
  EXPECT_FALSE(matches("any where length(process.name) == 1100", json));
  EXPECT_TRUE(matches("any where length(process.name) == null", json));
  // At the limit the value is indexed.
  std::string at_limit(1024, 'a');
  std::string json2 = R"({"process":{"name":")" + at_limit + R"("}})";
  EXPECT_TRUE(matches("any where process.name : \"a*\"", json2));
  EXPECT_TRUE(matches("any where length(process.name) == 1024", json2));
}

TEST(Rejections, FieldVersusField) {
  EXPECT_EQ(testing::error_code(R"(any where process.pid == process.parent.pid)"), DiagCode::kFieldVsField);
  EXPECT_EQ(testing::error_code(R"(any where length(process.name) == length(file.name))"), DiagCode::kFieldVsField);
  EXPECT_TRUE(testing::compile_ok(R"(any where length(process.name) + 1 == 5)"));
  EXPECT_EQ(testing::error_code(R"(any where process.name : process.title)"), DiagCode::kNotConstant);
}

TEST(Rejections, UnknownFieldsAndTypes) {
  EXPECT_EQ(testing::error_code(R"(any where nope == 1)"), DiagCode::kUnknownField);
  EXPECT_EQ(testing::error_code(R"(any where process.name like 5)"), DiagCode::kArgumentType);
  EXPECT_EQ(testing::error_code(R"(any where process.pid like "1*")"), DiagCode::kArgumentType);
  EXPECT_EQ(testing::error_code(R"(any where length(process.pid) == 1)"), DiagCode::kArgumentType);
  EXPECT_EQ(testing::error_code(R"(any where process.name + 1 == 2)"), DiagCode::kArgumentType);
  EXPECT_EQ(testing::error_code(R"(any where length(process.name) == "x")"), DiagCode::kTypeMismatch);
  EXPECT_EQ(testing::error_code(R"(any where process)"), DiagCode::kUnsupportedField);
}

TEST(Lenient, UnknownFieldComparedUntyped) {
  Schema lenient;  // not strict: unknown fields are warnings
  CompileResult r = compile(R"(any where custom.flag == "on" and custom.count > 3)", lenient);
  ASSERT_TRUE(r.ok()) << r.diagnostics.render("q");
  ASSERT_FALSE(r.diagnostics.empty());
  EXPECT_EQ(r.diagnostics.items()[0].code, DiagCode::kUnknownFieldUntyped);
  EXPECT_TRUE(r.query->matches(testing::event_from_json(R"({"custom":{"flag":"on","count":4}})")));
  EXPECT_FALSE(r.query->matches(testing::event_from_json(R"({"custom":{"flag":"ON","count":4}})")));
  EXPECT_FALSE(r.query->matches(testing::event_from_json(R"({"custom":{"flag":"on","count":2}})")));
}

TEST(Arithmetic, IntegerAndDouble) {
  const char* e = R"({"process":{"pid":83}})";
  EXPECT_TRUE(matches(R"(any where process.pid / 2 == 41)", e));  // truncation
  EXPECT_TRUE(matches(R"(any where process.pid % 10 == 3)", e));
  EXPECT_TRUE(matches(R"(any where process.pid * 2 - 1 == 165)", e));
  EXPECT_TRUE(matches(R"(any where process.pid / 2.0 == 41.5)", e));
  EXPECT_TRUE(matches(R"(any where -process.pid == -83)", e));
  EXPECT_TRUE(matches(R"(any where -7 % 3 == -1)", e));  // constant, Java remainder
  // Division by zero at run time: null, no match (and `not` of it is null too).
  EXPECT_FALSE(matches(R"(any where process.pid / (process.pid - 83) == 1)", e));
  EXPECT_FALSE(matches(R"(any where not process.pid / (process.pid - 83) == 1)", e));
  EXPECT_EQ(testing::error_code(R"(any where 1 / 0 == 1)"), DiagCode::kConstantError);
  EXPECT_EQ(testing::error_code(R"(any where 9223372036854775807 + 1 == 1)"), DiagCode::kConstantError);
}

TEST(Arithmetic, RuntimeErrorIsNoMatch) {
  auto q = testing::compile_ok(R"(any where 10 / process.pid == 1)");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->stages()[0].predicate.runtime_errors(), 0u);
  EXPECT_FALSE(q->matches(testing::event_from_json(R"({"process":{"pid":0}})")));
  EXPECT_EQ(q->stages()[0].predicate.runtime_errors(), 1u);
  EXPECT_TRUE(q->matches(testing::event_from_json(R"({"process":{"pid":10}})")));
  EXPECT_EQ(q->stages()[0].predicate.runtime_errors(), 1u);
}

TEST(Pushdown, EndsWithAndStringContainsTreatWildcards) {
  // The index pushdown glues * to the constant: ? and * inside act as wildcards (§8 quirk).
  EXPECT_TRUE(matches(R"(any where endsWith(file.name, "?.so"))", R"({"file":{"name":"libx.so"}})"));
  EXPECT_TRUE(matches(R"(any where stringContains(file.name, "a*c"))", R"({"file":{"name":"xabbcx"}})"));
  // startsWith is a literal prefix.
  EXPECT_FALSE(matches(R"(any where startsWith(file.name, "l?b"))", R"({"file":{"name":"libx.so"}})"));
  EXPECT_TRUE(matches(R"(any where startsWith(file.name, "l?b"))", R"({"file":{"name":"l?bx"}})"));
  // As scripts (function of a function) the constant is literal.
  EXPECT_FALSE(matches(R"(any where endsWith(string(file.name), "?.so"))", R"({"file":{"name":"libx.so"}})"));
  // Case-insensitive forms.
  EXPECT_TRUE(matches(R"(any where endsWith~(file.name, ".SO"))", R"({"file":{"name":"libx.so"}})"));
  EXPECT_FALSE(matches(R"(any where endsWith(file.name, ".SO"))", R"({"file":{"name":"libx.so"}})"));
  EXPECT_TRUE(matches(R"(any where startsWith~(file.name, "LIB"))", R"({"file":{"name":"libx.so"}})"));
  EXPECT_TRUE(matches(R"(any where stringContains~(file.name, "BX"))", R"({"file":{"name":"libx.so"}})"));
  EXPECT_FALSE(matches(R"(any where stringContains(file.name, ""))", R"({"file":{"name":"libx.so"}})"));
}

TEST(Unicode, LengthInUtf16Units) {
  // U+1F600 is two UTF-16 code units.
  EXPECT_TRUE(matches(R"(any where length(file.name) == 3)", R"({"file":{"name":"a\ud83d\ude00"}})"));
  EXPECT_TRUE(matches(R"(any where length(file.name) == 4)", R"({"file":{"name":"caf\u00e9"}})"));
}

TEST(Keys, ExtractorsNormaliseValues) {
  auto q = testing::compile_ok(R"(sequence by process.pid [process where true] by user.name [process where true] by ?user.id)");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->kind(), QueryKind::kSequence);
  ASSERT_EQ(q->stages().size(), 2u);
  ASSERT_EQ(q->key_count(), 2u);
  Event e = testing::event_from_json(R"({"process":{"pid":"42"},"user":{"name":["a","b"]}})");
  std::vector<KeyValue> out;
  EXPECT_EQ(q->stages()[0].keys[0].extract(e, out), 1u);
  EXPECT_EQ(out[0], KeyValue::integer(42));  // numeric string of a long field
  out.clear();
  EXPECT_EQ(q->stages()[0].keys[1].extract(e, out), 2u);
  EXPECT_EQ(out[1], KeyValue::string("b"));
  out.clear();
  EXPECT_EQ(q->stages()[1].keys[1].extract(e, out), 1u);  // optional and missing: null
  EXPECT_TRUE(out[0].is_null());
  EXPECT_TRUE(q->stages()[1].keys[1].optional());
}

TEST(Keys, KeyValueSemantics) {
  EXPECT_EQ(KeyValue::number(5.0), KeyValue::integer(5));
  EXPECT_NE(KeyValue::string("5"), KeyValue::integer(5));
  EXPECT_NE(KeyValue::string("a"), KeyValue::string("A"));
  EXPECT_EQ(KeyValue::string("a").hash(), KeyValue::string("a").hash());
  EXPECT_EQ(KeyValue::null().to_string(), "null");
  EXPECT_EQ(KeyValue::integer(-3).to_string(), "-3");
  EXPECT_EQ(format_date_iso(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_date_iso(86400001), "1970-01-02T00:00:00.001Z");
  EXPECT_EQ(format_date_iso(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Sequence, StagesAndOptions) {
  auto q = testing::compile_ok(
      R"(sequence by user.name with maxspan=2m
           [process where process.name == "a"] with runs=2
           ![file where true]
           [process where process.name == "b"]
         until [process where process.name == "reboot"] | tail 3)");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->stages().size(), 3u);
  EXPECT_EQ(q->stages()[0].runs, 2u);
  EXPECT_TRUE(q->stages()[1].missing);
  ASSERT_NE(q->until(), nullptr);
  EXPECT_EQ(q->until()->keys.size(), 1u);
  ASSERT_TRUE(q->maxspan_nanos().has_value());
  EXPECT_EQ(*q->maxspan_nanos(), 120'000'000'000LL);
  ASSERT_EQ(q->pipes().size(), 1u);
  EXPECT_EQ(q->pipes()[0].kind, Pipe::Kind::kTail);
  EXPECT_EQ(q->pipes()[0].count, 3);
  EXPECT_FALSE(q->matches(testing::event_from_json(kKmod)));  // not an event query
  EXPECT_TRUE(q->stages()[0].predicate.matches(
      testing::event_from_json(R"({"event":{"category":"process"},"process":{"name":"a"}})")));
}

TEST(Sequence, Rejections) {
  EXPECT_EQ(testing::error_code(R"(sequence [process where true] ![file where true] [process where true])"), DiagCode::kBadSequence);
  EXPECT_EQ(testing::error_code(R"(sequence [process where true] by user.name [process where true])"), DiagCode::kBadKey);
  EXPECT_EQ(testing::error_code(R"(sequence by user.name [process where true] by process.pid [process where true] by user.id)"),
            DiagCode::kBadKey);  // keyword vs long
  EXPECT_EQ(testing::error_code(R"(sequence by length(user.name) [process where true] [process where true])"), DiagCode::kBadKey);
  EXPECT_EQ(testing::error_code(R"(sample [process where true] [process where true])"), DiagCode::kBadKey);
}

TEST(FieldsRead, Collected) {
  auto q = testing::compile_ok(R"(process where process.name == "a" and length(file.path) > 1)");
  ASSERT_TRUE(q);
  std::vector<std::string> names;
  for (const auto& p : q->fields_read()) names.push_back(p.text());
  EXPECT_NE(std::find(names.begin(), names.end(), "process.name"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "file.path"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "event.category"), names.end());
}

}  // namespace
}  // namespace audetect::eql

namespace audetect::eql {
namespace {

TEST(Matchers, ManyPatternsBecomeOneAutomaton) {
  // More than a handful of prefix/suffix/infix patterns are merged into one RE2 alternation;
  // literal prefixes from startsWith keep '*' and '?' literal there too.
  std::string q = "any where process.name : (";
  for (int i = 0; i < 20; ++i) q += (i ? ", " : "") + std::string("\"*mid") + std::to_string(i) + "*\"";
  q += ", \"pre*\", \"*SUF\")";
  EXPECT_TRUE(testing::matches(q, R"({"process":{"name":"xxMID7yy"}})"));
  EXPECT_TRUE(testing::matches(q, R"({"process":{"name":"PREfix"}})"));
  EXPECT_TRUE(testing::matches(q, R"({"process":{"name":"a.suf"}})"));
  EXPECT_FALSE(testing::matches(q, R"({"process":{"name":"mid"}})"));
  StringMatcher m(false);
  for (int i = 0; i < 10; ++i) m.add_prefix("l?b" + std::to_string(i));
  ASSERT_TRUE(m.finish());
  EXPECT_TRUE(m.matches("l?b3x"));
  EXPECT_FALSE(m.matches("lib3x"));
}

}  // namespace
}  // namespace audetect::eql

// ---- steady state: evaluating a compiled query allocates nothing once warm.
namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

// Every replaceable form is replaced so that allocation and deallocation always pair up.
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace audetect::eql {
namespace {

TEST(SteadyState, MatchingAllocatesNothingOnceWarm) {
  const char* queries[] = {
      R"(process where process.name in ("a", "b") and not process.title : "*grep*" and process.pid > 3)",
      R"(process where process.title : "*ÉTÉ*" or process.name like~ "K?OD")",
      R"(process where process.name regex~ "k[a-z]+" and length(process.title) > 2)",
      R"(process where concat(process.name, "-", process.pid) == "Kmod-42" or substring(process.title, 1) : "*x*")",
      R"(any where cidrMatch(source.ip, "10.0.0.0/8") and endsWith~(process.args, "VM"))",
  };
  Event e = testing::event_from_json(
      R"({"event":{"category":["process"]},"process":{"name":"Kmod","pid":42,"title":"grep été","args":["-i","kvm"]},"source":{"ip":"10.1.1.1"}})");
  for (const char* q : queries) {
    auto compiled = testing::compile_ok(q);
    ASSERT_TRUE(compiled);
    bool first = compiled->matches(e);  // warm thread-local buffers
    size_t before = g_allocations.load();
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(compiled->matches(e), first);
    EXPECT_EQ(g_allocations.load() - before, 0u) << q;
  }
}

}  // namespace
}  // namespace audetect::eql
