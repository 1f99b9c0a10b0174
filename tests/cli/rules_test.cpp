// `audetect rules list|show|validate`, run as a real process.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using Outcome = audetect::testing::CliRun;


using audetect::testing::run_audetect;

// A `show` field line: the label and colon padded to 22 columns, then the value.
std::string field(std::string_view label, std::string_view value) {
  std::string line = std::string(label) + ":";
  line.resize(22, ' ');
  return line + " " + std::string(value);
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

const std::string kShippedId = "80084fa9-8677-4453-8680-b891d3c0c778";
const fs::path kCorpusRules = fs::path(AUDETECT_CORPUS_DIR) / "rules" / "elastic";

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("audetect_cli_rules_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

std::string rule_text(std::string_view severity, std::string_view query) {
  return std::string(R"([metadata]
creation_date = "2024/01/15"
updated_date = "2024/01/15"

[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "Shadow File Read"
description = "Reads of /etc/shadow."
author = ["Example"]
type = "eql"
language = "eql"
index = ["logs-auditd_manager.auditd-*"]
risk_score = 47
severity = ")") + std::string(severity) + R"("
query = '''
)" + std::string(query) + R"(
'''
)";
}

TEST(RulesCli, ListShowsTheBundledRule) {
  Outcome r = run_audetect({"rules", "list"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string header, row;
  std::getline(lines, header);
  std::getline(lines, row);
  EXPECT_TRUE(header.starts_with("NAME")) << header;
  for (std::string_view column : {"ID", "TYPE", "LANGUAGE", "SEVERITY", "RISK", "INTERVAL", "RUNNABLE"}) {
    EXPECT_TRUE(contains(header, column)) << column;
  }
  std::istringstream cells(row);
  std::vector<std::string> words;
  for (std::string w; cells >> w;) words.push_back(w);
  // Name (6 words), id, type, language, severity, risk, interval, runnable.
  ASSERT_EQ(words.size(), 13u) << row;
  EXPECT_EQ(words[6], kShippedId);
  EXPECT_EQ(words[7], "eql");
  EXPECT_EQ(words[8], "eql");
  EXPECT_EQ(words[9], "low");
  EXPECT_EQ(words[10], "21");
  EXPECT_EQ(words[11], "5m");
  EXPECT_EQ(words[12], "yes");
  EXPECT_TRUE(contains(r.err, "1 rules (1 runnable)")) << r.err;
}

TEST(RulesCli, ShowPrintsEverything) {
  for (const std::string& key : {kShippedId, std::string("enumeration of kernel modules via PROC")}) {
    Outcome r = run_audetect({"rules", "show", key});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    for (const std::string& expected : std::vector<std::string>
         {"Enumeration of Kernel Modules via Proc", "rule_id:", field("version", "2"), field("severity", "low"),
          field("risk_score", "21"), field("interval", "5m"), field("from", "now-9m (additional look-back 4m)"),
          field("max_signals", "100"), "event.ingested (falls back to @timestamp)", "Tactic: Discovery",
          "Elastic License v2", "Description:", "Query:", "process.title : \"*grep*\"", "Threat (MITRE):",
          "tactic TA0007 Discovery https://attack.mitre.org/tactics/TA0007/",
          "technique T1082 System Information Discovery", "Audit rules needed:\n  -w /proc/ -p r -k audit_proc",
          "Setup guide:", "Investigation guide:", field("runnable", "yes")}) {
      EXPECT_TRUE(contains(r.out, expected)) << expected << "\n---\n" << r.out;
    }
  }
}

TEST(RulesCli, ShowUnknownRuleFails) {
  Outcome r = run_audetect({"rules", "show", "no such rule"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, "no rule with id or name \"no such rule\"")) << r.err;
}

TEST(RulesCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run_audetect({"rules"}).exit_code, 2);
  EXPECT_EQ(run_audetect({"rules", "show"}).exit_code, 2);
  EXPECT_EQ(run_audetect({"rules", "list", "--no-such-flag"}).exit_code, 2);
}

TEST(RulesCli, ValidateTheBundledRules) {
  Outcome r = run_audetect({"rules", "validate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "1 files: 1 rules loaded (1 eql), 0 failed")) << r.out;
  EXPECT_TRUE(contains(r.out, "eql rules: 1, queries compiled: 1; runnable: 1")) << r.out;
  EXPECT_TRUE(contains(r.out, "0 errors, 0 warnings")) << r.out;
}

TEST_F(TempDir, ValidateReportsPositionsAndExitsOne) {
  fs::path bad = write("bad.toml", rule_text("severe", "file where file.path == \"/etc/shadow\""));
  Outcome r = run_audetect({"rules", "validate", bad.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.err, bad.string() + ":14:12: error: rule.severity must be one of low, medium, high, "
                                             "critical; not \"severe\""))
      << r.err;
  EXPECT_TRUE(contains(r.out, "1 files: 0 rules loaded (none), 1 failed")) << r.out;
}

TEST_F(TempDir, ValidatePlacesQueryErrorsInTheFile) {
  // Line 16 of the file is the query's first line; the unknown function starts at column 26 of line 2.
  fs::path bad = write("query.toml", rule_text("low", "file where file.path == \"/etc/shadow\" and\n  process.name : \"x\" and lenght(process.name) > 3"));
  Outcome r = run_audetect({"rules", "validate", bad.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, bad.string() + ":17:26: error: query E302")) << r.err;
  EXPECT_TRUE(contains(r.out, "1 rules loaded (1 eql)")) << r.out;
  EXPECT_TRUE(contains(r.out, "not runnable: 1 (query does not compile")) << r.out;
}

TEST_F(TempDir, ListLoadsGoodFilesAndReportsBadOnes) {
  write("good.toml", rule_text("low", "file where true"));
  write("bad.toml", "[rule\n");
  Outcome r = run_audetect({"rules", "list", "--rules", dir_.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "Shadow File Read")) << r.out;
  EXPECT_TRUE(contains(r.err, (dir_ / "bad.toml").string() + ":1:6: error: invalid TOML")) << r.err;
}

TEST(RulesCli, CorpusRulesLoadAndNonEqlAreNotRunnableYet) {
  if (!fs::exists(kCorpusRules)) GTEST_SKIP() << "corpus not found at " << kCorpusRules;
  Outcome r = run_audetect({"rules", "validate", kCorpusRules.string()});
  std::printf("%s", r.out.c_str());
  EXPECT_TRUE(contains(r.out, "524 files: 524 rules loaded")) << r.out;
  EXPECT_TRUE(contains(r.out, "not runnable: 63 (rule type new_terms is not runnable yet)")) << r.out;
  EXPECT_TRUE(contains(r.out, "not runnable: 21 (rule type esql is not runnable yet)")) << r.out;

  Outcome list = run_audetect({"rules", "list", "--rules", (kCorpusRules / "linux").string()});
  EXPECT_TRUE(contains(list.out, "no: rule type threshold is not runnable yet")) << list.out;
}

}  // namespace
