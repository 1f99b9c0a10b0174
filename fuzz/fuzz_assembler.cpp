// libFuzzer target: input lines -> RecordParser -> EventAssembler (small window so overflow and
// timeouts happen), with expire() driven by bytes of the input. Checks that every stored record
// comes out exactly once and that released events only hold records of their own serial.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "audit/audit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace audetect::audit;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  uint64_t released_records = 0;
  EventAssembler assembler(
      [&](const AuditEvent& ev) {
        released_records += ev.records.size();
        for (const AuditRecord& r : ev.records) {
          if (r.serial != ev.serial || r.node != ev.node || r.type == kEoe) std::abort();
          volatile char sink = 0;
          for (const AuditField& f : r.fields) {
            for (char c : f.value) sink = static_cast<char>(sink ^ c);
          }
          (void)sink;
        }
      },
      AssemblerOptions{.max_in_flight = 4, .timeout_ms = 2000, .max_records_per_event = 64,
                       .max_bytes_per_event = 1 << 16});
  RecordParser parser;
  AuditRecord rec;
  std::string reason;
  uint64_t added = 0, eoes = 0;
  size_t start = 0;
  while (start <= input.size()) {
    size_t nl = input.find('\n', start);
    std::string_view line = input.substr(start, nl == std::string_view::npos ? nl : nl - start);
    if (!line.empty() && line[0] == '!') {
      // "!<n>" advances the clock to record time + n seconds.
      assembler.expire(rec.time_ms + 1000 * static_cast<int64_t>(line.size() > 1 ? line[1] & 15 : 3));
    } else if (parser.parse_line(line, rec, &reason)) {
      assembler.add(rec);
      ++added;
      eoes += rec.type == kEoe;
    }
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  assembler.flush();
  const AssemblerStats& st = assembler.stats();
  if (st.records != added) std::abort();
  if (released_records + st.dropped_records + eoes != added) std::abort();
  return 0;
}
