// Inputs found by fuzz/fuzz_json_reader that once crashed the reader, kept as regression tests.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "event/event.h"
#include "event/json.h"

namespace audetect {
namespace {

using Outcome = JsonEventReader::Outcome;

// A `_bulk`-action-shaped line whose value is malformed: the shape check abandoned simdjson's
// iterator and then rewound it (null parser dereference). It must be a plain error with a column.
TEST(JsonReaderFuzzRegressions, MalformedValueInsideBulkActionIsAnError) {
  JsonEventReader reader;
  EventBuilder builder;
  for (std::string_view line : {std::string_view(R"({"index":{"_index":]"x"}})"),
                                std::string_view(R"({"create":{"_index":"x"},"y":]})"),
                                std::string_view(R"({"index":]})")}) {
    JsonError error;
    EXPECT_EQ(reader.parse(line, builder, &error), Outcome::kError) << line;
    EXPECT_FALSE(error.reason.empty()) << line;
    EXPECT_GT(error.column, 0u) << line;
    EXPECT_LE(error.column, line.size()) << line;
  }
  // The reader stays usable after the failures.
  JsonError error;
  ASSERT_EQ(reader.parse(R"({"index":{"_index":"x"}})", builder, &error), Outcome::kIgnored);
  ASSERT_EQ(reader.parse(R"({"index":1,"a":{"b":2}})", builder, &error), Outcome::kEvent) << error.reason;
  std::string out;
  write_ndjson(out, builder.finish());
  EXPECT_EQ(out, "{\"index\":1,\"a\":{\"b\":2}}\n");
}

// Malformed input after an underscore key: the hit/action scan must not rewind an abandoned iterator.
TEST(JsonReaderFuzzRegressions, MalformedValueAfterUnderscoreKeyIsAnError) {
  JsonEventReader reader;
  EventBuilder builder;
  for (std::string_view line : {std::string_view(R"({"_id":]})"), std::string_view(R"({"_id":{]},"_source":{}})"),
                                std::string_view(R"({"_id":"x","_source":]})")}) {
    JsonError error;
    EXPECT_EQ(reader.parse(line, builder, &error), Outcome::kError) << line;
    EXPECT_FALSE(error.reason.empty()) << line;
  }
}

// A truncated atom ("nu") made value.is_null() return an error that was converted to bool, which
// throws (std::terminate in a noexcept-free but exception-less caller). Every malformed scalar is an error.
TEST(JsonReaderFuzzRegressions, TruncatedAtomsAreErrors) {
  JsonEventReader reader;
  EventBuilder builder;
  for (std::string_view line :
       {std::string_view(R"({".e.f":null,"e.f":nu})"), std::string_view(R"({"a":nu})"),
        std::string_view(R"({"a":nul})"), std::string_view(R"({"a":nullx})"), std::string_view(R"({"a":[nu]})"),
        std::string_view(R"({"a":tru})"), std::string_view(R"({"a":fals})"), std::string_view(R"({"a":-})"),
        std::string_view(R"({"a":1.})"), std::string_view(R"({"a":[1,tru]})"), std::string_view(R"({"a":-inf})"),
        std::string_view(R"({"a":-nan})"), std::string_view(R"({"a":0x1p3})"), std::string_view(R"({"a":1e400})"),
        std::string_view(R"({"a":-1e99999})"), std::string_view(R"({"a":01})"), std::string_view(R"({"a":1e})")}) {
    JsonError error;
    EXPECT_EQ(reader.parse(line, builder, &error), Outcome::kError) << line;
    EXPECT_FALSE(error.reason.empty()) << line;
  }
  JsonError error;
  ASSERT_EQ(reader.parse(R"({"a":null,"b":[null,true,false]})", builder, &error), Outcome::kEvent) << error.reason;
  // Integers wider than 64 bits are still taken, as doubles.
  ASSERT_EQ(reader.parse(R"({"a":123456789012345678901234567890,"b":-99999999999999999999e2})", builder, &error),
            Outcome::kEvent)
      << error.reason;
  std::string out;
  write_ndjson(out, builder.finish());
  EXPECT_NE(out.find("\"a\":1.2345678901234568e+29"), std::string::npos) << out;
}

}  // namespace
}  // namespace audetect
