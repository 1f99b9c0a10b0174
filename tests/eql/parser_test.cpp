// Grammar of ES EQL (docs/eql.md §3): shapes, precedence, Endgame rejections, depth cap.
#include <gtest/gtest.h>

#include <string>

#include "eql/ast.h"
#include "eql/eql.h"
#include "eql/parser.h"

namespace audetect::eql {
namespace {

std::unique_ptr<ast::Statement> parse_ok(std::string_view text) {
  Diagnostics d;
  auto st = parse_statement(text, d);
  EXPECT_TRUE(st != nullptr) << d.render(text);
  return st;
}

Diagnostic parse_error(std::string_view text) {
  Diagnostics d;
  auto st = parse_statement(text, d);
  EXPECT_EQ(st, nullptr) << "parsed but should not: " << text;
  EXPECT_TRUE(d.has_errors());
  return d.first_error() ? *d.first_error() : Diagnostic{};
}

// A compact rendering of an expression tree for precedence checks.
std::string show(const ast::Expr& e) {
  using K = ast::ExprKind;
  auto args = [&](std::string op) {
    std::string s = "(" + op;
    for (const auto& a : e.args) s += " " + show(*a);
    return s + ")";
  };
  switch (e.kind) {
    case K::kLiteral:
      switch (e.literal.kind) {
        case ast::LiteralKind::kInt: return std::to_string(e.literal.i);
        case ast::LiteralKind::kString: return "\"" + e.literal.s + "\"";
        case ast::LiteralKind::kBool: return e.literal.b ? "true" : "false";
        case ast::LiteralKind::kNull: return "null";
        default: return "num";
      }
    case K::kField: return (e.optional ? "?" : "") + e.dotted();
    case K::kCall: return args(e.name + (e.insensitive ? "~" : ""));
    case K::kNeg: return args("neg");
    case K::kArith: return args(std::string(1, "+-*/%"[static_cast<int>(e.arith)]));
    case K::kCompare: {
      static const char* ops[] = {"==", "!=", "<", "<=", ">", ">="};
      return args(ops[static_cast<int>(e.cmp)]);
    }
    case K::kIn: return args(std::string(e.negated ? "not-" : "") + (e.insensitive ? "in~" : "in"));
    case K::kMatch: return args(e.name + (e.insensitive && e.match != ast::MatchOp::kColon ? "~" : ""));
    case K::kAnd: return args("and");
    case K::kOr: return args("or");
    case K::kNot: return args("not");
  }
  return "?";
}

std::string cond(std::string_view text) {
  auto st = parse_ok(text);
  return st ? show(*st->event.condition) : "";
}

TEST(Parser, Precedence) {
  EXPECT_EQ(cond("any where a == 1 or b == 2 and not c == 3"), "(or (== a 1) (and (== b 2) (not (== c 3))))");
  EXPECT_EQ(cond("any where a + 2 * 3 - 1 > -x"), "(> (- (+ a (* 2 3)) 1) (neg x))");
  EXPECT_EQ(cond("any where -5 == a"), "(== -5 a)");
  EXPECT_EQ(cond("any where (a or b) and c"), "(and (or a b) c)");
  EXPECT_EQ(cond("any where not not a"), "(not (not a))");
}

TEST(Parser, PredicateForms) {
  EXPECT_EQ(cond(R"(any where a in ("x", "y"))"), R"((in a "x" "y"))");
  EXPECT_EQ(cond(R"(any where a not in~ ("x"))"), R"((not-in~ a "x"))");
  EXPECT_EQ(cond(R"(any where a : "x*")"), R"((: a "x*"))");
  EXPECT_EQ(cond(R"(any where a : ("x", "y"))"), R"((: a "x" "y"))");
  EXPECT_EQ(cond(R"(any where a like~ "x")"), R"((like~ a "x"))");
  EXPECT_EQ(cond(R"(any where a regex ("x", "y"))"), R"((regex a "x" "y"))");
  EXPECT_EQ(cond(R"(any where startsWith~(a, "x"))"), R"((startsWith~ a "x"))");
  EXPECT_EQ(cond(R"(any where ?a.`b-c`.d == null)"), "(== ?a.b-c.d null)");
  EXPECT_EQ(cond(R"(any where `2fa`.enabled == true)"), "(== 2fa.enabled true)");
}

TEST(Parser, EventCategory) {
  auto st = parse_ok(R"("my-category" where true)");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->event.category, "my-category");
  st = parse_ok("any where true");
  EXPECT_TRUE(st->event.any);
}

TEST(Parser, Sequence) {
  auto st = parse_ok(R"(sequence by host.id, process.pid with maxspan=2m
      [process where true] by a with runs=2
      ![file where true]
      [process where true] by b
    until [process where true] by c
    | head 5 | tail 2)");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->kind, ast::StatementKind::kSequence);
  EXPECT_EQ(st->keys.size(), 2u);
  EXPECT_EQ(st->maxspan_nanos, 120'000'000'000LL);
  ASSERT_EQ(st->items.size(), 3u);
  EXPECT_EQ(st->items[0].runs, 2u);
  EXPECT_TRUE(st->items[1].missing);
  ASSERT_TRUE(st->until.has_value());
  EXPECT_EQ(st->until->keys.size(), 1u);
  ASSERT_EQ(st->pipes.size(), 2u);
  EXPECT_EQ(st->pipes[1].name, "tail");
  EXPECT_EQ(st->pipes[1].count, 2);
  // One item repeated by runs is enough.
  EXPECT_TRUE(parse_ok("sequence [process where true] with runs=3"));
  EXPECT_TRUE(parse_ok("sequence with maxspan=500ms [a where true] [b where true]"));
  for (auto [text, nanos] : {std::pair{"1d", 86400'000'000'000LL}, {"3h", 3 * 3600'000'000'000LL}, {"10s", 10'000'000'000LL},
                             {"7micros", 7'000LL}, {"9nanos", 9LL}}) {
    auto s = parse_ok(std::string("sequence with maxspan=") + text + " [a where true] [b where true]");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->maxspan_nanos, nanos) << text;
  }
}

TEST(Parser, Sample) {
  auto st = parse_ok("sample by host [a where true] [b where true] by user");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->kind, ast::StatementKind::kSample);
  EXPECT_EQ(st->items.size(), 2u);
  EXPECT_EQ(st->items[1].keys.size(), 1u);
}

TEST(Parser, SyntaxErrors) {
  EXPECT_EQ(parse_error("process where").code, DiagCode::kUnexpectedToken);
  EXPECT_EQ(parse_error("process where a == ").code, DiagCode::kUnexpectedToken);
  EXPECT_EQ(parse_error("process a == 1").code, DiagCode::kUnexpectedToken);
  EXPECT_EQ(parse_error("process where a < b < c").code, DiagCode::kUnexpectedToken);  // no chaining
  EXPECT_EQ(parse_error("process where (a == 1").code, DiagCode::kUnexpectedToken);
  EXPECT_EQ(parse_error("process where a == 1)").code, DiagCode::kUnexpectedToken);
  EXPECT_EQ(parse_error("process where and == 1").code, DiagCode::kUnexpectedToken);
  EXPECT_EQ(parse_error("sequence [a where true]").code, DiagCode::kBadSequence);
  EXPECT_EQ(parse_error("sequence [a where true] with runs=0 [b where true]").code, DiagCode::kBadRuns);
  EXPECT_EQ(parse_error("sequence [a where true] with runs=101 [b where true]").code, DiagCode::kBadRuns);
  EXPECT_EQ(parse_error("sequence with maxspan=5 [a where true] [b where true]").code, DiagCode::kBadSpan);
  EXPECT_EQ(parse_error("sequence with maxspan=5y [a where true] [b where true]").code, DiagCode::kBadSpan);
  EXPECT_EQ(parse_error("sequence with maxspan=0.5s [a where true] [b where true]").code, DiagCode::kBadSpan);
  EXPECT_EQ(parse_error("sequence with maxspan=1s by a [a where true] [b where true]").code, DiagCode::kBadSequence);
  EXPECT_EQ(parse_error("sample by a [a where true] with runs=2").code, DiagCode::kBadSequence);
  EXPECT_EQ(parse_error("sample by a ![a where true]").code, DiagCode::kBadSequence);
  EXPECT_EQ(parse_error("process where args[0] == 1").code, DiagCode::kArrayIndex);
  EXPECT_EQ(parse_error("process where ? a == 1").code, DiagCode::kUnexpectedToken);
}

TEST(Parser, EndgameSyntaxNamesTheReplacement) {
  Diagnostic d = parse_error("process where a = 1");
  EXPECT_EQ(d.code, DiagCode::kEndgameSyntax);
  EXPECT_NE(d.help.find("=="), std::string::npos);
  d = parse_error("join [a where true] [b where true]");
  EXPECT_EQ(d.code, DiagCode::kEndgameSyntax);
  EXPECT_NE(d.help.find("sequence"), std::string::npos);
  EXPECT_EQ(parse_error("process where child of [a where true]").code, DiagCode::kEndgameSyntax);
  EXPECT_EQ(parse_error("process where descendant of [a where true]").code, DiagCode::kEndgameSyntax);
  d = parse_error("process where a:length() > 1");
  EXPECT_EQ(d.code, DiagCode::kEndgameSyntax);
  EXPECT_NE(d.help.find("length(field)"), std::string::npos);
  d = parse_error("process where true | count");
  EXPECT_EQ(d.code, DiagCode::kUnsupportedPipe);
  EXPECT_EQ(d.message, "Pipe [count] is not supported");
  for (const char* pipe : {"unique a", "unique_count a", "filter a == 1", "sort a", "window 5"})
    EXPECT_EQ(parse_error(std::string("process where true | ") + pipe).code, DiagCode::kUnsupportedPipe) << pipe;
  EXPECT_EQ(parse_error("process where a == 'x'").code, DiagCode::kEndgameString);
}

TEST(Parser, DepthIsCapped) {
  // 100,000 parentheses must give an error, not a stack overflow.
  std::string deep = "process where " + std::string(100000, '(') + "a" + std::string(100000, ')');
  Diagnostic d = parse_error(deep);
  EXPECT_EQ(d.code, DiagCode::kTooDeep);
  std::string nots = "process where ";
  for (int i = 0; i < 50000; ++i) nots += "not ";
  EXPECT_EQ(parse_error(nots + "a").code, DiagCode::kTooDeep);
  std::string negs = "process where " + std::string(50000, '-') + "1 == a";
  EXPECT_EQ(parse_error(negs).code, DiagCode::kTooDeep);
  std::string calls = "process where ";
  for (int i = 0; i < 20000; ++i) calls += "length(";
  EXPECT_EQ(parse_error(calls + "a").code, DiagCode::kTooDeep);
  // Long flat expressions are fine.
  std::string flat = "process where a == 0";
  for (int i = 1; i < 5000; ++i) flat += " or a == " + std::to_string(i);
  EXPECT_TRUE(parse_ok(flat));
  std::string sum = "process where a";
  for (int i = 0; i < 150; ++i) sum += " + 1";
  EXPECT_TRUE(parse_ok(sum + " == 1"));
  // Operator chains build left-deep trees: long ones count against the cap too.
  std::string long_sum = "process where a";
  for (int i = 0; i < 100000; ++i) long_sum += "+1";
  EXPECT_EQ(parse_error(long_sum + " == 1").code, DiagCode::kTooDeep);
  std::string long_product = "process where a";
  for (int i = 0; i < 100000; ++i) long_product += "*2";
  EXPECT_EQ(parse_error(long_product + " == 1").code, DiagCode::kTooDeep);
}

TEST(Parser, PublicParseApi) {
  ParseResult r = parse("process where a == 1");
  EXPECT_TRUE(r.ok());
  r = parse("process where a ==");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.diagnostics.has_errors());
}

}  // namespace
}  // namespace audetect::eql
