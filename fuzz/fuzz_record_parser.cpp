// libFuzzer target: every input line through RecordParser::parse_line, and the whole input through
// parse_netlink with a type taken from the first two bytes. Any crash, sanitizer report or broken
// invariant is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "audit/audit.h"

namespace {

void check(const audetect::audit::AuditRecord& rec) {
  for (const auto& f : rec.fields) {
    if (f.name.empty()) std::abort();
    // Touch every byte so ASan sees a dangling view.
    volatile char sink = 0;
    for (char c : f.value) sink = static_cast<char>(sink ^ c);
    (void)sink;
  }
  for (std::string_view t : rec.tags) {
    volatile size_t n = t.size();
    (void)n;
  }
  if (!rec.error.empty() && !rec.fields.empty()) std::abort();  // an error clears the fields
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static audetect::audit::RecordParser parser;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  audetect::audit::AuditRecord rec;
  std::string reason;
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    std::string_view line = input.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (parser.parse_line(line, rec, &reason)) {
      check(rec);
    } else if (reason.empty()) {
      std::abort();  // a rejected line always says why
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (size >= 2) {
    uint32_t type = 1000u + (static_cast<uint32_t>(data[0]) << 8 | data[1]) % 2000u;
    if (parser.parse_netlink(type, input.substr(2), rec, &reason)) check(rec);
  }
  return 0;
}
