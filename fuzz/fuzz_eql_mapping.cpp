// Elasticsearch mapping files, dynamic mapping and date parsing on hostile bytes: no crash, no
// hang, no sanitizer report. The input is split at the first NUL: mapping JSON before it; after it,
// lines of "text<TAB>format" for the date parsers.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "eql/mapping.h"
#include "eql/ordering.h"
#include "event/json.h"

using namespace audetect;
using namespace audetect::eql;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string_view mapping = input.substr(0, nul);
  std::string_view dates = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  auto schema = parse_mapping(mapping, "fuzz");
  if (schema) {
    (void)schema->lookup("a.b.c");
    (void)schema->field_names();
    Schema merged = *schema;
    merged.merge(*schema);
  }
  // The same bytes as a document for dynamic mapping.
  static JsonEventReader reader;
  static EventBuilder builder;
  JsonError err;
  if (reader.parse(mapping, builder, &err) == JsonEventReader::Outcome::kEvent) {
    Event e = builder.finish();
    Schema s = schema ? *schema : Schema();
    add_dynamic_fields(s, e, 1000);
  }
  size_t pos = 0;
  while (pos < dates.size()) {
    size_t nl = dates.find('\n', pos);
    std::string_view line = dates.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    size_t tab = line.find('\t');
    std::string_view text = line.substr(0, tab);
    std::string_view format = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
    (void)parse_iso8601_nanos(text);
    (void)parse_epoch_millis_nanos(text);
    if (auto v = parse_date_with_format(text, format)) (void)format_date(*v, format);
    (void)format_date(static_cast<int64_t>(text.size()) * 86'400'000'000'000LL, format);
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return 0;
}
