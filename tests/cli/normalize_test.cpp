// Runs the real `audetect normalize` binary.
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.h"

namespace {

using audetect::testing::CliRun;
using audetect::testing::run_audetect;

const std::string kSample = std::string(AUDETECT_SOURCE_DIR) + "/data/sample-audit.log";

TEST(NormalizeCli, BundledLogBecomesOneDocumentPerEvent) {
  CliRun r = run_audetect({"normalize", "--no-resolve", kSample});
  ASSERT_EQ(r.exit_code, 0);
  size_t lines = 0;
  for (char c : r.out) lines += c == '\n';
  EXPECT_GT(lines, 10u);
  EXPECT_NE(r.out.find("\"action\":\"opened-file\""), std::string::npos);
  const std::string& summary = r.err;
  EXPECT_NE(summary.find("events " + std::to_string(lines) + " "), std::string::npos) << summary;
  EXPECT_NE(summary.find("warnings 0"), std::string::npos) << summary;
}

TEST(NormalizeCli, ProfilesDiffer) {
  CliRun manager = run_audetect({"normalize", "--no-resolve", "--no-host-metadata", kSample});
  CliRun beat = run_audetect({"normalize", "--no-resolve", "--no-host-metadata", "--profile", "auditbeat", kSample});
  ASSERT_EQ(manager.exit_code, 0);
  ASSERT_EQ(beat.exit_code, 0);
  EXPECT_NE(manager.out.find("\"data_stream\""), std::string::npos);
  EXPECT_EQ(beat.out.find("\"data_stream\""), std::string::npos);
  EXPECT_NE(beat.out.find("\"sequence\":"), std::string::npos);
}

TEST(NormalizeCli, UsageErrorsExitTwoAndMissingFilesExitOne) {
  EXPECT_EQ(run_audetect({"normalize", "--profile", "nonsense"}).exit_code, 2);
  EXPECT_EQ(run_audetect({"normalize", "--passwd", "/etc/passwd"}).exit_code, 2);
  EXPECT_EQ(run_audetect({"no-such-subcommand"}).exit_code, 2);
  EXPECT_EQ(run_audetect({"normalize", "/nonexistent/audit.log"}).exit_code, 1);
  EXPECT_EQ(run_audetect({"--version"}).exit_code, 0);
  EXPECT_EQ(run_audetect({"normalize", "--help"}).exit_code, 0);
}

}  // namespace
