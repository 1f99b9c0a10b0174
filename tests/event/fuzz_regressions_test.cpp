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

}  // namespace
}  // namespace audetect
