// `audetect scan`, run as a real process over the labelled real capture.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const std::string kLog = std::string(AUDETECT_SOURCE_DIR) + "/tests/engine/testdata/real/seed-raw.log";

using RunResult = audetect::testing::CliRun;

std::string slurp(const fs::path& path) { return audetect::testing::slurp_file(path); }

fs::path temp_path(const std::string& tag) {
  static int counter = 0;
  return fs::temp_directory_path() /
         ("audetect_cli_scan_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" + tag);
}

using audetect::testing::run_audetect;

// How many alerts the labels expect for seed-raw.log: the length of its `alert_serials` array in
// expected.json (read with plain string search: this test links no JSON reader).
size_t expected_alerts() {
  const std::string json = slurp(std::string(AUDETECT_SOURCE_DIR) + "/tests/engine/testdata/real/expected.json");
  size_t at = json.find("\"seed-raw.log\"");
  if (at == std::string::npos) return 0;
  at = json.find("\"alert_serials\"", at);
  size_t open = json.find('[', at), close = json.find(']', open);
  if (at == std::string::npos || open == std::string::npos || close == std::string::npos) return 0;
  size_t n = 1;
  for (size_t i = open; i < close; ++i) n += json[i] == ',';
  return n;
}
const size_t kExpectedAlerts = expected_alerts();

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string field(const std::string& doc, const std::string& key) {
  auto p = doc.find("\"" + key + "\":\"");
  if (p == std::string::npos) return "";
  p += key.size() + 4;
  return doc.substr(p, doc.find('"', p) - p);
}

TEST(Scan, BundledRuleOverTheRealCaptureWritesOneAlertPerLabelledEvent) {
  RunResult r = run_audetect({"scan", kLog});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto alerts = lines(r.out);
  EXPECT_EQ(alerts.size(), kExpectedAlerts) << r.err;
  for (const auto& a : alerts) {
    EXPECT_EQ(a.front(), '{');
    EXPECT_EQ(field(a, "kibana.alert.rule.rule_id"), "80084fa9-8677-4453-8680-b891d3c0c778");
    EXPECT_EQ(field(a, "kibana.alert.uuid").size(), 64u);
  }
  // The summary: events read, per rule executions / alerts / suppressed.
  ASSERT_GT(kExpectedAlerts, 0u) << "expected.json not found or without seed-raw.log";
  EXPECT_NE(r.err.find("events read"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("alerts " + std::to_string(kExpectedAlerts)), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("executions"), std::string::npos);
  EXPECT_NE(r.err.find("suppressed"), std::string::npos);
}

TEST(Scan, BulkFormatPairsEachAlertWithACreateActionForTheAlertsIndex) {
  RunResult r = run_audetect({"scan", "--format", "bulk", "-q", kLog});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), 2 * kExpectedAlerts);
  for (size_t i = 0; i < l.size(); i += 2) {
    EXPECT_EQ(l[i].rfind(R"({"create":{"_index":".alerts-security.alerts-default","_id":")", 0), 0u) << l[i];
    EXPECT_EQ(field(l[i], "_id"), field(l[i + 1], "kibana.alert.uuid"));
  }
  EXPECT_TRUE(r.err.empty()) << "-q prints no summary";
}

TEST(Scan, TableFormatHasAHeaderAndOneRowPerAlert) {
  RunResult r = run_audetect({"scan", "--format", "table", kLog});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), kExpectedAlerts + 1);
  for (const char* col : {"TIME", "RULE", "SEVERITY", "HOST", "USER", "PROCESS", "FILE", "REASON"})
    EXPECT_NE(l[0].find(col), std::string::npos) << col;
  EXPECT_NE(l[1].find("Enumeration of Kernel Modules via Proc"), std::string::npos);
  EXPECT_NE(l[1].find("/proc/modules"), std::string::npos);
}

TEST(Scan, OutputFileIsAppendedAndStateSuppressesRepeats) {
  fs::path out = temp_path("alerts.ndjson"), state = temp_path("state");
  RunResult a = run_audetect({"scan", "-q", "--output", out.string(), kLog});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(a.out.empty());
  RunResult b = run_audetect({"scan", "-q", "--output", out.string(), "--state", state.string(), kLog});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(lines(slurp(out)).size(), 2 * kExpectedAlerts);  // appended, not replaced
  // The state file remembers the ids: the same log scanned again writes nothing new.
  RunResult c = run_audetect({"scan", "--output", out.string(), "--state", state.string(), kLog});
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_EQ(lines(slurp(out)).size(), 2 * kExpectedAlerts);
  EXPECT_NE(c.err.find("alerts 0"), std::string::npos) << c.err;
  fs::remove(out);
  fs::remove(state);
}

TEST(Scan, EcsNdjsonGivesTheSameAlertsAsTheRawLog) {
  // normalize the log to ECS NDJSON, then scan that: identical alert ids (same source identity).
  RunResult n = run_audetect({"normalize", "-q", kLog});
  ASSERT_EQ(n.exit_code, 0) << n.err;
  fs::path ecs = temp_path("events.ndjson");
  std::ofstream(ecs) << n.out;
  RunResult from_raw = run_audetect({"scan", "-q", kLog});
  RunResult from_ecs = run_audetect({"scan", "-q", ecs.string()});
  ASSERT_EQ(from_ecs.exit_code, 0) << from_ecs.err;
  auto a = lines(from_raw.out), b = lines(from_ecs.out);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(field(a[i], "kibana.alert.uuid"), field(b[i], "kibana.alert.uuid"));
  // Both inputs at once: every source is seen twice, but alerted once.
  RunResult mixed = run_audetect({"scan", "-q", kLog, ecs.string()});
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  EXPECT_EQ(lines(mixed.out).size(), kExpectedAlerts);
  fs::remove(ecs);
}

TEST(Scan, PrefilterSkipsUnmatchableEventsWithoutChangingTheAlerts) {
  RunResult fast = run_audetect({"scan", kLog});
  RunResult full = run_audetect({"scan", "--no-prefilter", kLog});
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  ASSERT_EQ(full.exit_code, 0) << full.err;
  // Byte for byte (same alerts, order and execution times) but for the rule load time.
  auto without_load_time = [](std::string s) {
    static const std::regex load_time(R"("kibana\.alert\.rule\.(created|updated)_at":"[^"]*")");
    return std::regex_replace(s, load_time, "");
  };
  EXPECT_EQ(without_load_time(fast.out), without_load_time(full.out));
  EXPECT_NE(fast.err.find("prefilter: "), std::string::npos) << fast.err;
  EXPECT_NE(fast.err.find("left out before parsing"), std::string::npos) << fast.err;
  // --resolve-paths makes file.path derived, so the seed rule gives no literal: the prefilter is off.
  RunResult resolved = run_audetect({"scan", "--resolve-paths", kLog});
  EXPECT_NE(resolved.err.find("prefilter: off"), std::string::npos) << resolved.err;
  EXPECT_GT(lines(resolved.out).size(), kExpectedAlerts);
}

TEST(Scan, GzipStandardInputAndBadLinesGoThroughThePrefilter) {
  RunResult plain = run_audetect({"scan", "-q", kLog});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(lines(plain.out).size(), kExpectedAlerts);
  auto uuids = [](const std::string& out) {
    std::vector<std::string> ids;
    for (const auto& l : lines(out)) ids.push_back(field(l, "kibana.alert.uuid"));
    return ids;
  };
  fs::path gz = temp_path("seed.log.gz");
  ASSERT_EQ(std::system(("gzip -c '" + kLog + "' > '" + gz.string() + "'").c_str()), 0);
  RunResult zipped = run_audetect({"scan", "-q", gz.string()});
  ASSERT_EQ(zipped.exit_code, 0) << zipped.err;
  EXPECT_EQ(uuids(zipped.out), uuids(plain.out));
  RunResult from_stdin = run_audetect({"scan", "-q", "-"}, kLog);
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(uuids(from_stdin.out), uuids(plain.out));
  fs::remove(gz);

  // Lines that are not records pass the prefilter and are reported with their own line numbers; a line
  // over 1 MiB is reported as cut.
  std::vector<std::string> log = lines(slurp(kLog));
  log.insert(log.begin() + 100, "garbage that is no record");
  log.insert(log.begin() + 1000, "type=PATH " + std::string((1u << 20) + 10, 'z'));
  fs::path bad = temp_path("bad.log");
  {
    std::ofstream f(bad);
    for (const auto& l : log) f << l << "\n";
  }
  RunResult with_bad = run_audetect({"scan", bad.string()});
  ASSERT_EQ(with_bad.exit_code, 0) << with_bad.err;
  EXPECT_EQ(uuids(with_bad.out), uuids(plain.out));
  EXPECT_NE(with_bad.err.find(bad.string() + ":101: "), std::string::npos) << with_bad.err;
  EXPECT_NE(with_bad.err.find(bad.string() + ":1001: line longer than 1 MiB: truncated"), std::string::npos)
      << with_bad.err;
  fs::remove(bad);
}

TEST(Scan, UsageAndRuntimeErrorsHaveTheirExitCodes) {
  RunResult bad_rules = run_audetect({"scan", "--rules", "/nonexistent/rules", kLog});
  EXPECT_EQ(bad_rules.exit_code, 2);
  EXPECT_NE(bad_rules.err.find("/nonexistent/rules"), std::string::npos);
  RunResult bad_format = run_audetect({"scan", "--format", "xml", kLog});
  EXPECT_EQ(bad_format.exit_code, 2);
  // A missing input is a runtime failure; the other inputs are still scanned.
  RunResult missing = run_audetect({"scan", "-q", "/nonexistent/audit.log", kLog});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/audit.log"), std::string::npos);
  EXPECT_EQ(lines(missing.out).size(), kExpectedAlerts);
}

}  // namespace
