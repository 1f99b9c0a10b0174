// Inputs found by fuzz/fuzz_rule_parser, kept as regression tests.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "rules/query_check.h"
#include "rules/rules.h"

using namespace audetect::rules;

namespace {

std::string rule_with_query(std::string_view query_line) {
  return std::string(R"([metadata]
creation_date = "2024/01/15"
updated_date = "2024/01/15"
maturity = "production"

[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "n"
description = "d"
author = ["Example"]
type = "eql"
language = "eql"
index = ["logs-auditd_manager.auditd-*"]
risk_score = 47
severity = "medium"
)") + std::string(query_line) + "\n";
}

// 1-based line and byte column of the last occurrence of `needle` in `text`.
std::pair<uint32_t, uint32_t> position_of_last(std::string_view text, std::string_view needle) {
  size_t at = text.rfind(needle);
  size_t line_start = text.rfind('\n', at);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  uint32_t line = 1;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  return {line, static_cast<uint32_t>(at - line_start + 1)};
}

// The query error must point at the ')' that causes it, in the file.
void expect_error_at_closing_paren(const std::string& text) {
  std::vector<Diagnostic> diagnostics;
  auto rule = parse_rule(text, "t.toml", &diagnostics);
  ASSERT_TRUE(rule.is_ok()) << rule.status().message();
  std::vector<Diagnostic> query_diagnostics;
  EXPECT_EQ(compile_rule_query(*rule, &query_diagnostics), nullptr);
  ASSERT_FALSE(query_diagnostics.empty());
  auto [line, column] = position_of_last(text, ")");
  EXPECT_EQ(query_diagnostics[0].where.line, line) << to_string(query_diagnostics[0]) << "\n" << text;
  EXPECT_EQ(query_diagnostics[0].where.column, column) << to_string(query_diagnostics[0]) << "\n" << text;
}

// Escaped newlines in a one-line basic string once placed the error on line 6 of the query, past the
// end of the file: positions now follow the file text through escapes.
TEST(RuleFuzzRegressions, QueryErrorPositionFollowsEscapedNewlines) {
  expect_error_at_closing_paren(rule_with_query(R"t(query = "process where\n\n\n\n\n process.name == )")t"));
}

TEST(RuleFuzzRegressions, QueryErrorPositionFollowsEscapesWithinALine) {
  expect_error_at_closing_paren(
      rule_with_query(R"t(query = "process where process.name : (\"a\u00e9\t\", \"\U0001F600\\\"\") and )")t"));
}

TEST(RuleFuzzRegressions, QueryErrorPositionFollowsLineEndingBackslashes) {
  expect_error_at_closing_paren(rule_with_query("query = \"\"\"\nprocess where \\\n   \n    process.name == \"x\" and \\\n  )\"\"\""));
  expect_error_at_closing_paren(rule_with_query("query = \"\"\"\r\nprocess where\r\n  process.name == \"\\u0078\" and\r\n  )\"\"\""));
}

// Literal strings keep the direct mapping.
TEST(RuleFuzzRegressions, LiteralQueryErrorPositionUnchanged) {
  expect_error_at_closing_paren(rule_with_query("query = '''\nprocess where\n  process.name == \"\\n\" and )'''"));
  expect_error_at_closing_paren(rule_with_query("query = 'process where process.name == \"\\t\" and )'"));
}

}  // namespace
