// Loads every Elastic rule of the corpus (rules/elastic) and reports how many load, by type, how many EQL
// queries compile, how many are runnable and which audit rules they need. Every rule must load and every
// EQL query must compile; files listed in corpus_known_differences.txt are expected to fail and are
// reported as skipped with the reason.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "rules/query_check.h"
#include "rules/rules.h"

namespace fs = std::filesystem;
using namespace audetect::rules;

namespace {

// "relative/path.toml<TAB>reason" lines; '#' starts a comment.
std::map<std::string, std::string> read_known_differences() {
  std::map<std::string, std::string> known;
  std::ifstream in(fs::path(AUDETECT_SOURCE_DIR) / "tests/rules/corpus_known_differences.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    known[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return known;
}

TEST(RulesCorpusConformance, EveryElasticRuleLoads) {
  const fs::path root = fs::path(AUDETECT_CORPUS_DIR) / "rules" / "elastic";
  if (!fs::exists(root)) GTEST_SKIP() << "corpus not found at " << root << " (AUDETECT_CORPUS_DIR)";
  const auto known = read_known_differences();

  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".toml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());

  int passed = 0, failed = 0, skipped = 0;
  std::map<std::string, int> by_type;
  int eql = 0, compiled = 0, sequences = 0, samples = 0, runnable = 0, audit_data = 0, audit_runnable = 0;
  int with_audit_rules = 0;
  std::set<std::string> audit_rules;
  for (const auto& file : files) {
    std::string relative = fs::relative(file, root).string();
    std::vector<Diagnostic> diagnostics;
    auto rule = load_rule_file(file, &diagnostics);
    std::string problem;
    if (!rule) {
      problem = rule.status().message();
    } else if (rule->type == RuleType::kEql) {
      std::vector<Diagnostic> query_diagnostics;
      auto query = compile_rule_query(*rule, &query_diagnostics);
      if (!query) {
        for (const auto& d : query_diagnostics) {
          if (d.level == Diagnostic::Level::kError && problem.empty()) problem = to_string(d);
        }
      } else {
        ++compiled;
        if (query->kind() == audetect::eql::QueryKind::kSequence) ++sequences;
        if (query->kind() == audetect::eql::QueryKind::kSample) ++samples;
      }
    }
    auto it = known.find(relative);
    if (it != known.end()) {
      ++skipped;
      std::printf("skipped %s: %s (%s)\n", relative.c_str(), it->second.c_str(),
                  problem.empty() ? "now passes" : problem.c_str());
      continue;
    }
    if (!problem.empty()) {
      ++failed;
      ADD_FAILURE() << problem;
      continue;
    }
    ++passed;
    by_type[std::string(to_string(rule->type))]++;
    if (rule->type == RuleType::kEql) ++eql;
    if (rule->runnable) ++runnable;
    if (rule->targets_audit_data()) {
      ++audit_data;
      if (rule->runnable) ++audit_runnable;
    }
    if (!rule->audit_rules.empty()) ++with_audit_rules;
    audit_rules.insert(rule->audit_rules.begin(), rule->audit_rules.end());
  }
  std::printf("rule files: %zu\n", files.size());
  for (const auto& [type, count] : by_type) std::printf("  type %-17s %d\n", type.c_str(), count);
  std::printf("eql: %d, compiled: %d (%d sequences, %d samples); runnable: %d\n", eql, compiled, sequences, samples,
              runnable);
  std::printf("rules on audit data (index matches auditbeat-* or logs-auditd_manager.auditd-*): %d, runnable: %d\n",
              audit_data, audit_runnable);
  std::printf("rules with audit rules in their setup: %d; distinct audit rules: %zu\n", with_audit_rules,
              audit_rules.size());
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
}

}  // namespace
