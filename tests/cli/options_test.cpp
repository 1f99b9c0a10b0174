// Conventions every subcommand shares.
#include <gtest/gtest.h>

#include <string>

#include "cli_runner.h"

namespace {

using audetect::testing::run_audetect;

size_t count_lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// A repeatable option takes one value per occurrence: the file after it is an input, not a
// second rules path.
TEST(CliOptions, RepeatableOptionDoesNotSwallowPositionals) {
  const std::string src = AUDETECT_SOURCE_DIR;
  auto r = run_audetect({"scan", "--rules", src + "/rules", src + "/data/sample-audit.log", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(r.out), 3u) << r.out;
  auto two = run_audetect({"scan", "--rules", src + "/rules", "--rules", src + "/rules/linux",
                           src + "/data/sample-audit.log", "--quiet"});
  EXPECT_EQ(two.exit_code, 0) << two.err;
}

TEST(CliOptions, EverySubcommandHasHelp) {
  for (const char* cmd : {"normalize", "query", "scan", "rules", "setup"}) {
    auto r = run_audetect({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << ": " << r.out;
  }
}

}  // namespace
