// The captured auditd logs in corpus/audit-real (RAW and ENRICHED) parse line for line and
// assemble into the number of events their README lists. Not a golden comparison: a check that
// real input (ENRICHED separators, hex values, real interleaving) goes through without rejects.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "audit/audit.h"
#include "conformance_util.h"

namespace audetect::audit {
namespace {

namespace fs = std::filesystem;

struct Counts {
  uint64_t lines = 0, rejected = 0, record_errors = 0, events = 0, incomplete = 0, lost = 0;
  std::map<std::string, uint64_t> errors;
};

Counts run(const fs::path& file) {
  Counts c;
  RecordParser parser;
  EventAssembler assembler([&](const AuditEvent& ev) {
    ++c.events;
    c.incomplete += !ev.complete;
  });
  AuditRecord rec;
  std::string reason;
  for (const std::string& line : testing::split_lines(testing::read_file(file))) {
    ++c.lines;
    if (!parser.parse_line(line, rec, &reason)) {
      ++c.rejected;
      ADD_FAILURE() << file.filename() << ":" << c.lines << ": " << reason;
      continue;
    }
    if (!rec.error.empty()) {
      ++c.record_errors;
      ++c.errors[std::string(record_type_name(rec.type)) + ": " + std::string(rec.error)];
    }
    assembler.expire(rec.time_ms);
    assembler.add(rec);
  }
  assembler.flush();
  c.lost = assembler.stats().lost;
  return c;
}

TEST(RealLogs, ParseAndAssemble) {
  const fs::path dir = fs::path(AUDETECT_CORPUS_DIR) / "audit-real";
  if (!fs::is_directory(dir)) GTEST_SKIP() << "corpus/audit-real not found at " << dir;
  // Event counts from corpus/audit-real/README.md.
  const std::map<std::string, uint64_t> expected_events = {
      {"everyday-enriched.log", 621}, {"everyday-raw.log", 620}, {"procsim-mini-enriched.log", 178}};
  for (const auto& [name, events] : expected_events) {
    if (!fs::exists(dir / name)) continue;
    Counts c = run(dir / name);
    std::cout << name << ": " << c.lines << " lines, " << c.rejected << " rejected, " << c.events
              << " events (" << c.incomplete << " incomplete), lost " << c.lost << ", "
              << c.record_errors << " records with enrichment errors\n";
    for (const auto& [e, n] : c.errors) std::cout << "    " << n << " x " << e << "\n";
    EXPECT_EQ(c.rejected, 0u) << name;
    EXPECT_EQ(c.events, events) << name;
  }
}

}  // namespace
}  // namespace audetect::audit
