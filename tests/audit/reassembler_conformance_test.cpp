// Runs go-libaudit's reassembler test logs through RecordParser + EventAssembler with the
// upstream parameters (5 in flight, 2 s timeout) and compares the emitted events and lost count
// with testdata/reassembler_expected.json. Like the upstream test, the logs are pushed at once and
// then flushed: no time passes, so expire() is never called.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "audit/audit.h"
#include "conformance_util.h"

namespace audetect::audit {
namespace {

namespace fs = std::filesystem;

TEST(ReassemblerConformance, ExpectedEvents) {
  const fs::path dir = fs::path(AUDETECT_CORPUS_DIR) / "audit/go-libaudit/testdata";
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "corpus not found at " << dir << " (set AUDETECT_CORPUS_DIR); skipping";
  }
  simdjson::dom::parser json;
  simdjson::dom::element expected;
  ASSERT_EQ(json.load((dir / "reassembler_expected.json").string()).get(expected),
            simdjson::SUCCESS);
  uint64_t max_in_flight = 0, timeout_s = 0;
  ASSERT_EQ(expected["reassembler_params"]["max_in_flight"].get(max_in_flight), simdjson::SUCCESS);
  ASSERT_EQ(expected["reassembler_params"]["timeout_seconds"].get(timeout_s), simdjson::SUCCESS);
  simdjson::dom::object cases;
  ASSERT_EQ(expected["cases"].get(cases), simdjson::SUCCESS);

  int passed = 0, failed = 0;
  for (auto [name, want] : cases) {
    std::vector<std::pair<uint64_t, uint64_t>> want_events, got_events;
    for (auto e : want["events"].get_array()) {
      want_events.emplace_back(uint64_t(e["seq"]), uint64_t(e["count"]));
    }
    uint64_t want_dropped = want["dropped"];

    EventAssembler assembler(
        [&](const AuditEvent& ev) { got_events.emplace_back(ev.serial, ev.records.size()); },
        AssemblerOptions{.max_in_flight = max_in_flight,
                         .timeout_ms = static_cast<int64_t>(timeout_s * 1000)});
    RecordParser parser;
    for (const std::string& line :
         testing::split_lines(testing::read_file(dir / std::string(name)))) {
      AuditRecord rec;
      if (parser.parse_line(line, rec, nullptr)) assembler.add(rec);
    }
    assembler.flush();
    bool ok = got_events == want_events && assembler.stats().lost == want_dropped;
    if (ok) {
      ++passed;
    } else {
      ++failed;
      std::string got;
      for (auto [s, c] : got_events) got += " " + std::to_string(s) + "x" + std::to_string(c);
      ADD_FAILURE() << name << ": got" << got << " lost=" << assembler.stats().lost;
    }
  }
  std::cout << "reassembler conformance: " << passed << " passed, " << failed << " failed, 0 skipped\n";
}

}  // namespace
}  // namespace audetect::audit
