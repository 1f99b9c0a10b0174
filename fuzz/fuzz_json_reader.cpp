// libFuzzer target: one NDJSON line into an event and back out as JSON, which must stay valid.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "event/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static audetect::JsonEventReader reader;
  static audetect::EventBuilder builder;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  audetect::JsonError error;
  if (reader.parse(line, builder, &error) == audetect::JsonEventReader::Outcome::kEvent) {
    audetect::Event e = builder.finish();
    std::string out;
    audetect::write_ndjson(out, e);
    if (!audetect::utf8::valid(out)) __builtin_trap();
    audetect::Event copy = e.clone();
    std::string again;
    audetect::write_ndjson(again, copy);
    if (again != out) __builtin_trap();
  }
  return 0;
}
