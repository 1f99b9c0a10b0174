// Diagnostics: stable codes, spans, and the compiler-style rendering.
#include <gtest/gtest.h>

#include "eql/diagnostics.h"
#include "eql_test_util.h"

namespace audetect::eql {
namespace {

TEST(Diagnostics, UnknownFunctionRendering) {
  const std::string q = R"(process where lenght(process.name) > 3)";
  CompileResult r = compile(q, testing::test_schema());
  ASSERT_FALSE(r.ok());
  const Diagnostic* d = r.diagnostics.first_error();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->code, DiagCode::kUnknownFunction);
  EXPECT_EQ(d->code_name(), "E302");
  EXPECT_EQ(d->span.begin, 14u);
  EXPECT_EQ(d->span.end, 20u);
  EXPECT_EQ(r.diagnostics.render(q),
            "error[E302]: unknown function \"lenght\" (did you mean \"length\"?)\n"
            " --> query:1:15\n"
            "  |\n"
            "1 | process where lenght(process.name) > 3\n"
            "  |               ^^^^^^\n");
}

TEST(Diagnostics, MultiLineQueriesPointAtTheRightLine) {
  const std::string q = "process where\n  process.name == \"a\" and\n  nope == 1";
  CompileResult r = compile(q, testing::test_schema());
  ASSERT_FALSE(r.ok());
  std::string text = r.diagnostics.render(q, "rule.toml");
  EXPECT_NE(text.find("error[E301]: Unknown column [nope]"), std::string::npos) << text;
  EXPECT_NE(text.find(" --> rule.toml:3:3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("3 |   nope == 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  |   ^^^^\n"), std::string::npos) << text;
}

TEST(Diagnostics, HelpLine) {
  const std::string q = "process where a = 1";
  CompileResult r = compile(q, testing::test_schema());
  std::string text = r.diagnostics.render(q);
  EXPECT_NE(text.find("= help: use == for equality"), std::string::npos) << text;
  EXPECT_NE(text.find("error[E203]"), std::string::npos) << text;
}

TEST(Diagnostics, LongLinesAreCutAroundTheCaret) {
  std::string q = "process where " + std::string(100000, '(') + "a" + std::string(100000, ')');
  CompileResult r = compile(q, testing::test_schema());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics.first_error()->code, DiagCode::kTooDeep);
  std::string text = r.diagnostics.render(q);
  EXPECT_LT(text.size(), 600u);
  EXPECT_NE(text.find("..."), std::string::npos);
  EXPECT_NE(text.find("query nests deeper than"), std::string::npos);
}

TEST(Diagnostics, WarningsDoNotFailCompilation) {
  const std::string q = R"(any where endsWith(file.name, "?.so"))";
  CompileResult r = compile(q, testing::test_schema());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.diagnostics.items().size(), 1u);
  EXPECT_EQ(r.diagnostics.items()[0].severity, Severity::kWarning);
  EXPECT_EQ(r.diagnostics.items()[0].code_name(), "W402");
  EXPECT_NE(r.diagnostics.render(q).find("warning[W402]"), std::string::npos);
}

TEST(Diagnostics, LiteralStarWithEqualityWarns) {
  const std::string q = R"(any where process.name == "*grep*")";
  CompileResult r = compile(q, testing::test_schema());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.diagnostics.items().size(), 1u);
  EXPECT_EQ(r.diagnostics.items()[0].code, DiagCode::kLiteralWildcard);
  EXPECT_EQ(r.diagnostics.items()[0].severity, Severity::kWarning);
  EXPECT_TRUE(compile(R"(any where process.name : "*grep*")", testing::test_schema()).diagnostics.empty());
}

TEST(Diagnostics, ControlCharactersAreNotEchoed) {
  const std::string q = "process where a == \x01";
  CompileResult r = compile(q, testing::test_schema());
  ASSERT_FALSE(r.ok());
  std::string text = r.diagnostics.render(q);
  EXPECT_EQ(text.find('\x01'), std::string::npos);
  EXPECT_NE(text.find("\\x01"), std::string::npos);
}

TEST(Diagnostics, LineColumn) {
  EXPECT_EQ(line_column("ab\ncd", 0).line, 1u);
  EXPECT_EQ(line_column("ab\ncd", 4).line, 2u);
  EXPECT_EQ(line_column("ab\ncd", 4).column, 2u);
  EXPECT_EQ(line_column("ab", 99).column, 3u);  // clamped to the end
}

TEST(Diagnostics, ErrorAtEndOfInput) {
  const std::string q = "process where a ==";
  CompileResult r = compile(q, testing::test_schema());
  std::string text = r.diagnostics.render(q);
  EXPECT_NE(text.find("unexpected end of query"), std::string::npos) << text;
  EXPECT_NE(text.find(" --> query:1:19"), std::string::npos) << text;
}

}  // namespace
}  // namespace audetect::eql
