// Lexical rules of ES EQL (docs/eql.md §2).
#include <gtest/gtest.h>

#include "eql/lexer.h"

namespace audetect::eql {
namespace {

std::vector<Token> lex_ok(std::string_view text) {
  Diagnostics d;
  auto toks = lex(text, d);
  EXPECT_FALSE(d.has_errors()) << d.render(text);
  return toks;
}

DiagCode lex_error(std::string_view text) {
  Diagnostics d;
  lex(text, d);
  EXPECT_TRUE(d.has_errors()) << text;
  return d.first_error() ? d.first_error()->code : DiagCode::kUnexpectedToken;
}

TEST(Lexer, IdentifiersKeywordsAndSpans) {
  auto t = lex_ok("process where @timestamp AND x");
  ASSERT_EQ(t.size(), 6u);
  EXPECT_TRUE(t[0].is_word("process"));
  EXPECT_TRUE(t[1].is_word("where"));
  EXPECT_TRUE(t[2].is_word("@timestamp"));
  EXPECT_TRUE(t[3].is_word("AND"));  // keywords are lowercase only
  EXPECT_FALSE(is_keyword("AND"));
  EXPECT_TRUE(is_keyword("and"));
  EXPECT_FALSE(is_keyword("runs"));
  EXPECT_EQ(t[2].span.begin, 14u);
  EXPECT_EQ(t[2].span.end, 24u);
  EXPECT_TRUE(t[5].is(Tok::kEnd));
}

TEST(Lexer, Numbers) {
  auto t = lex_ok("1 2147483648 9223372036854775808 12. .5 1.5 3e2 2.5E-3");
  EXPECT_TRUE(t[0].is(Tok::kInt));
  EXPECT_EQ(t[1].int_value, 2147483648LL);
  EXPECT_TRUE(t[2].is(Tok::kDouble));  // too large for 64 bits
  EXPECT_TRUE(t[2].int_overflowed);
  EXPECT_DOUBLE_EQ(t[3].double_value, 12.0);
  EXPECT_DOUBLE_EQ(t[4].double_value, 0.5);
  EXPECT_DOUBLE_EQ(t[5].double_value, 1.5);
  EXPECT_DOUBLE_EQ(t[6].double_value, 300.0);
  EXPECT_DOUBLE_EQ(t[7].double_value, 0.0025);
  // A leading minus is an operator.
  auto m = lex_ok("-1");
  EXPECT_TRUE(m[0].is(Tok::kMinus));
}

TEST(Lexer, Strings) {
  auto t = lex_ok(R"("a\n\t\"\\\b\f\'\u{e9}\u{1F600}" """raw\n""" """say "hi"""")");
  EXPECT_EQ(t[0].text, "a\n\t\"\\\b\f'\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(t[1].text, "raw\\n");
  EXPECT_EQ(t[2].text, "say \"hi\"");
}

TEST(Lexer, StringErrors) {
  EXPECT_EQ(lex_error("\"abc"), DiagCode::kUnterminatedString);
  EXPECT_EQ(lex_error("\"a\nb\""), DiagCode::kNewlineInString);
  EXPECT_EQ(lex_error(R"("\q")"), DiagCode::kBadEscape);
  EXPECT_EQ(lex_error(R"("\u{1}")"), DiagCode::kBadEscape);        // fewer than 2 digits
  EXPECT_EQ(lex_error(R"("\u{D800}")"), DiagCode::kBadEscape);     // surrogate
  EXPECT_EQ(lex_error(R"("\u{110000}")"), DiagCode::kBadEscape);   // past U+10FFFF
  EXPECT_EQ(lex_error("\"\"\"abc\ndef\"\"\""), DiagCode::kUnterminatedString);
  EXPECT_EQ(lex_error("'single'"), DiagCode::kEndgameString);
  EXPECT_EQ(lex_error(R"(?"raw")"), DiagCode::kEndgameString);
  EXPECT_EQ(lex_error("\"\\"), DiagCode::kUnterminatedString);
}

TEST(Lexer, QuotedNamesAndOptional) {
  auto t = lex_ok("labels.`team-name` `odd``name` ?user.id");
  EXPECT_TRUE(t[2].is(Tok::kQuotedName));
  EXPECT_EQ(t[2].text, "team-name");
  EXPECT_EQ(t[3].text, "odd`name");
  EXPECT_TRUE(t[4].is(Tok::kQuestion));
  EXPECT_EQ(lex_error("`abc"), DiagCode::kUnterminatedQuotedName);
}

TEST(Lexer, CommentsNest) {
  auto t = lex_ok("a /* x /* y */ z */ b // c\n d");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_TRUE(t[1].is_word("b"));
  EXPECT_TRUE(t[2].is_word("d"));
  EXPECT_EQ(lex_error("a /* x /* y */"), DiagCode::kUnterminatedComment);
}

TEST(Lexer, Operators) {
  auto t = lex_ok("== != < <= > >= = : + - * / % ~ | ! , . ( ) [ ]");
  const Tok expected[] = {Tok::kEqEq, Tok::kNotEq, Tok::kLt, Tok::kLe, Tok::kGt, Tok::kGe, Tok::kAssign,
                          Tok::kColon, Tok::kPlus, Tok::kMinus, Tok::kStar, Tok::kSlash, Tok::kPercent,
                          Tok::kTilde, Tok::kPipe, Tok::kBang, Tok::kComma, Tok::kDot, Tok::kLParen,
                          Tok::kRParen, Tok::kLBracket, Tok::kRBracket, Tok::kEnd};
  ASSERT_EQ(t.size(), std::size(expected));
  for (size_t i = 0; i < t.size(); ++i) EXPECT_EQ(t[i].kind, expected[i]) << i;
}

TEST(Lexer, BadBytes) {
  EXPECT_EQ(lex_error("a # b"), DiagCode::kUnexpectedChar);
  EXPECT_EQ(lex_error("a \x01 b"), DiagCode::kUnexpectedChar);
  EXPECT_EQ(lex_error("a \xC3\xA9 b"), DiagCode::kUnexpectedChar);
}

}  // namespace
}  // namespace audetect::eql
