// The 16 functions with ES semantics (docs/eql.md §8), called directly and through queries.
#include <gtest/gtest.h>

#include <cmath>

#include "eql/casefold.h"
#include "eql/functions.h"
#include "eql/regex_translate.h"
#include "eql_test_util.h"

namespace audetect::eql {
namespace {

class Functions : public ::testing::Test {
 protected:
  SValue call(Fn fn, std::initializer_list<SValue> args, bool insensitive = false) {
    std::vector<SValue> a(args);
    ctx_.error = EvalError::kNone;
    return call_function(fn, insensitive, a.data(), a.size(), ctx_);
  }
  static SValue s(std::string_view v) { return SValue::string(v); }
  static SValue i(int64_t v) { return SValue::integer(v); }
  static SValue d(double v) { return SValue::number(v); }
  static SValue b(bool v) { return SValue::boolean(v); }
  static SValue null() { return SValue::null(); }

  Arena arena_{1024};
  EvalContext ctx_{&arena_};
};

#define EXPECT_STR(v, text)                           \
  do {                                                \
    SValue r_ = (v);                                  \
    ASSERT_EQ(r_.kind, SValue::Kind::kString);        \
    EXPECT_EQ(r_.s, text);                            \
  } while (0)
#define EXPECT_INT(v, n)                              \
  do {                                                \
    SValue r_ = (v);                                  \
    ASSERT_EQ(r_.kind, SValue::Kind::kInt);           \
    EXPECT_EQ(r_.i, n);                               \
  } while (0)
#define EXPECT_BOOL(v, x)                             \
  do {                                                \
    SValue r_ = (v);                                  \
    ASSERT_EQ(r_.kind, SValue::Kind::kBool);          \
    EXPECT_EQ(r_.b, x);                               \
  } while (0)

TEST_F(Functions, Arithmetic) {
  EXPECT_INT(call(Fn::kAdd, {i(2), i(3)}), 5);
  EXPECT_INT(call(Fn::kSubtract, {i(-2), i(4)}), -6);
  EXPECT_INT(call(Fn::kMultiply, {i(-2), i(4)}), -8);
  EXPECT_INT(call(Fn::kDivide, {i(7), i(2)}), 3);
  EXPECT_INT(call(Fn::kDivide, {i(-7), i(2)}), -3);  // truncation, not floor
  EXPECT_DOUBLE_EQ(call(Fn::kDivide, {i(7), d(2.0)}).d, 3.5);
  EXPECT_INT(call(Fn::kModulo, {i(7), i(-3)}), 1);    // sign of the dividend
  EXPECT_INT(call(Fn::kModulo, {i(-7), i(3)}), -1);
  EXPECT_TRUE(call(Fn::kAdd, {null(), i(1)}).is_null());
  EXPECT_TRUE(call(Fn::kDivide, {i(1), i(0)}).is_null());
  EXPECT_EQ(ctx_.error, EvalError::kDivisionByZero);
  EXPECT_TRUE(call(Fn::kAdd, {i(INT64_MAX), i(1)}).is_null());
  EXPECT_EQ(ctx_.error, EvalError::kOverflow);
  EXPECT_TRUE(std::isinf(call(Fn::kDivide, {d(1.0), i(0)}).d));  // IEEE for doubles
}

TEST_F(Functions, Between) {
  EXPECT_STR(call(Fn::kBetween, {s("welcome to event query language"), s(" "), s(" ")}), "to");
  EXPECT_STR(call(Fn::kBetween, {s("a/b/c/d"), s("/"), s("/"), b(true)}), "b/c");
  EXPECT_STR(call(Fn::kBetween, {s("a/b/c/d"), s("/"), s("/"), b(false)}), "b");
  EXPECT_STR(call(Fn::kBetween, {s("abc"), s("x"), s("c")}), "");  // left not found
  EXPECT_STR(call(Fn::kBetween, {s("abc"), s("a"), s("x")}), "");  // right not found
  EXPECT_STR(call(Fn::kBetween, {s("abc"), s(""), s("c")}), "abc");  // empty -> unchanged
  EXPECT_STR(call(Fn::kBetween, {s("Hello World"), s("HELLO"), s("d")}, true), " Worl");  // keeps case
  EXPECT_STR(call(Fn::kBetween, {s("Hello World"), s("HELLO"), s("d")}), "");
  EXPECT_TRUE(call(Fn::kBetween, {null(), s("a"), s("b")}).is_null());
}

TEST_F(Functions, CidrMatch) {
  EXPECT_BOOL(call(Fn::kCidrMatch, {s("10.1.2.3"), s("10.0.0.0/8")}), true);
  EXPECT_BOOL(call(Fn::kCidrMatch, {s("10.1.2.3"), s("192.168.0.0/16"), s("10.1.2.0/24")}), true);
  EXPECT_BOOL(call(Fn::kCidrMatch, {s("10.1.2.3"), s("192.168.0.0/16")}), false);
  EXPECT_BOOL(call(Fn::kCidrMatch, {s("2001:db8::1"), s("2001:db8::/32")}), true);
  EXPECT_TRUE(call(Fn::kCidrMatch, {null(), s("10.0.0.0/8")}).is_null());
}

TEST_F(Functions, Concat) {
  EXPECT_STR(call(Fn::kConcat, {s("a"), i(42), d(42.5), b(true)}), "a4242.5true");
  EXPECT_STR(call(Fn::kConcat, {d(1.0)}), "1.0");
  EXPECT_TRUE(call(Fn::kConcat, {s("a"), null()}).is_null());
}

TEST_F(Functions, EndsStartsContains) {
  EXPECT_BOOL(call(Fn::kEndsWith, {s("x.EXE"), s(".exe")}), false);
  EXPECT_BOOL(call(Fn::kEndsWith, {s("x.EXE"), s(".exe")}, true), true);
  EXPECT_BOOL(call(Fn::kEndsWith, {s(""), s("")}), true);
  EXPECT_BOOL(call(Fn::kStartsWith, {s("Kmod"), s("K")}), true);
  EXPECT_BOOL(call(Fn::kStartsWith, {s("Kmod"), s("k")}), false);
  EXPECT_BOOL(call(Fn::kStartsWith, {s("Kmod"), s("k")}, true), true);
  EXPECT_BOOL(call(Fn::kStringContains, {s("start regsvr32.exe"), s("Regsvr32")}, true), true);
  EXPECT_BOOL(call(Fn::kStringContains, {s("start regsvr32.exe"), s("Regsvr32")}), false);
  EXPECT_BOOL(call(Fn::kStringContains, {s(""), s("")}), false);
  EXPECT_BOOL(call(Fn::kStringContains, {s("abc"), s("")}), false);
  EXPECT_TRUE(call(Fn::kStringContains, {null(), s("a")}).is_null());
  EXPECT_TRUE(call(Fn::kEndsWith, {s("a"), null()}).is_null());
}

TEST_F(Functions, IndexOf) {
  EXPECT_INT(call(Fn::kIndexOf, {s("subdomain.example.com"), s("D")}, true), 3);
  EXPECT_TRUE(call(Fn::kIndexOf, {s("subdomain.example.com"), s("D")}).is_null());
  EXPECT_INT(call(Fn::kIndexOf, {s("abcabc"), s("b"), i(2)}), 4);
  EXPECT_INT(call(Fn::kIndexOf, {s("abcabc"), s("b"), i(-5)}), 1);
  EXPECT_TRUE(call(Fn::kIndexOf, {s("abc"), s("b"), i(10)}).is_null());
  EXPECT_INT(call(Fn::kIndexOf, {s("abc"), s(""), i(10)}), 3);
  EXPECT_INT(call(Fn::kIndexOf, {s("abc"), s(""), i(1)}), 1);
  EXPECT_INT(call(Fn::kIndexOf, {s("abc"), s("c"), null()}), 2);
  EXPECT_INT(call(Fn::kIndexOf, {s("\xC3\xA9x"), s("x")}), 1);  // UTF-16 index
}

TEST_F(Functions, Length) {
  EXPECT_INT(call(Fn::kLength, {s("")}), 0);
  EXPECT_INT(call(Fn::kLength, {s("caf\xC3\xA9")}), 4);
  EXPECT_INT(call(Fn::kLength, {s("\xF0\x9F\x98\x80")}), 2);
  EXPECT_TRUE(call(Fn::kLength, {null()}).is_null());
}

TEST_F(Functions, Number) {
  EXPECT_INT(call(Fn::kNumber, {s(" 42 ")}), 42);
  EXPECT_INT(call(Fn::kNumber, {s("-42")}), -42);
  EXPECT_INT(call(Fn::kNumber, {s("+7")}), 7);
  EXPECT_INT(call(Fn::kNumber, {s("0x1F")}), 31);
  EXPECT_INT(call(Fn::kNumber, {s("0x1F"), null()}), 31);
  EXPECT_INT(call(Fn::kNumber, {s("ff"), i(16)}), 255);
  EXPECT_DOUBLE_EQ(call(Fn::kNumber, {s("42.5")}).d, 42.5);
  EXPECT_TRUE(call(Fn::kNumber, {s("abc")}).is_null());
  EXPECT_EQ(ctx_.error, EvalError::kBadNumber);
  EXPECT_TRUE(call(Fn::kNumber, {s("")}).is_null());
  EXPECT_TRUE(call(Fn::kNumber, {null()}).is_null());
  EXPECT_EQ(ctx_.error, EvalError::kNone);
}

TEST_F(Functions, String) {
  EXPECT_STR(call(Fn::kString, {i(42)}), "42");
  EXPECT_STR(call(Fn::kString, {b(true)}), "true");
  EXPECT_STR(call(Fn::kString, {d(1e7)}), "1.0E7");
  EXPECT_STR(call(Fn::kString, {d(0.001)}), "0.001");
  EXPECT_STR(call(Fn::kString, {d(1e-4)}), "1.0E-4");
  EXPECT_STR(call(Fn::kString, {d(123.25)}), "123.25");
  EXPECT_TRUE(call(Fn::kString, {null()}).is_null());
}

TEST_F(Functions, Substring) {
  EXPECT_STR(call(Fn::kSubstring, {s("abcdef"), i(-3)}), "def");
  EXPECT_STR(call(Fn::kSubstring, {s("abcdef"), i(1), i(-1)}), "bcde");
  EXPECT_STR(call(Fn::kSubstring, {s("abcdef"), i(4), i(2)}), "");
  EXPECT_STR(call(Fn::kSubstring, {s("abcdef"), i(-100), i(100)}), "abcdef");
  EXPECT_STR(call(Fn::kSubstring, {s("caf\xC3\xA9!"), i(3), i(4)}), "\xC3\xA9");
  EXPECT_TRUE(call(Fn::kSubstring, {null(), i(1)}).is_null());
}

TEST(FunctionQueries, ConstantFoldingAndSignatures) {
  EXPECT_TRUE(testing::matches(R"(any where subtract(-2, 4) == -6)", "{}"));
  EXPECT_TRUE(testing::matches(R"(any where concat("a", 1, true) == "a1true")", "{}"));
  EXPECT_TRUE(testing::matches(R"(any where CONCAT("a") == "a")", "{}"));  // names are case-insensitive
  EXPECT_TRUE(testing::matches(R"(any where between(file.path, "dev", ".json", false) == "\\x")",
                               R"({"file":{"path":"C:\\dev\\x.json"}})"));
  EXPECT_EQ(testing::error_code(R"(any where lenght(process.name) > 1)"), DiagCode::kUnknownFunction);
  EXPECT_NE(testing::error_text(R"(any where lenght(process.name) > 1)").find(R"(did you mean "length"?)"), std::string::npos);
  EXPECT_EQ(testing::error_code(R"(any where wildcard(process.name, "a*"))"), DiagCode::kUnknownFunction);
  EXPECT_EQ(testing::error_code(R"(any where arrayContains(tags, "a"))"), DiagCode::kUnknownFunction);
  EXPECT_EQ(testing::error_code(R"(any where length~(process.name) > 1)"), DiagCode::kNoCaseInsensitiveForm);
  EXPECT_EQ(testing::error_code(R"(any where length(process.name, 1) > 1)"), DiagCode::kArity);
  EXPECT_EQ(testing::error_code(R"(any where concat() == "")"), DiagCode::kArity);
  EXPECT_EQ(testing::error_code(R"(any where between(file.path, "a", "b", file.name) == "")"), DiagCode::kArgumentType);
  EXPECT_EQ(testing::error_code(R"(any where number(file.path, process.pid) == 1)"), DiagCode::kArgumentType);
  EXPECT_EQ(testing::error_code(R"(any where startsWith(process.pid, "1"))"), DiagCode::kArgumentType);
  EXPECT_EQ(testing::error_code(R"(any where add(process.name, 1) == 1)"), DiagCode::kArgumentType);
}

TEST(Values, DatesIpsVersions) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00.000Z"), 0);
  EXPECT_EQ(parse_iso8601("1970-01-02"), 86400000);
  EXPECT_EQ(parse_iso8601("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_FALSE(parse_iso8601("yesterday"));
  EXPECT_EQ(parse_date("17-12-2022", {"dd-MM-yyyy"}), 1671235200000);
  EXPECT_EQ(parse_date("2022-12-17", {"yyyy-MM-dd"}), 1671235200000);
  EXPECT_EQ(parse_date("1", {}), 1);  // epoch_millis fallback
  EXPECT_EQ(parse_date("1234567991", {}), 1234567991);
  EXPECT_TRUE(parse_cidr("10.0.0.0/8")->contains(*parse_ip("10.255.0.1")));
  EXPECT_FALSE(parse_cidr("10.0.0.0/33"));
  EXPECT_FALSE(parse_ip("10.0.0"));
  EXPECT_LT(compare_versions("1.5.0", "1.11.3"), 0);
  EXPECT_LT(compare_versions("1.0.0-alpha", "1.0.0"), 0);
  EXPECT_LT(compare_versions("1.0.0-alpha.1", "1.0.0-alpha.beta"), 0);
  EXPECT_GT(compare_versions("bad", "99.0.0"), 0);  // invalid versions sort last
  EXPECT_EQ(compare_versions("2.0.0", "2.0.0"), 0);
}

TEST(CaseFolding, SimplePerCodePoint) {
  EXPECT_EQ(fold("KMOD"), "kmod");
  EXPECT_EQ(fold("\xC3\x89"), "\xC3\xA9");            // É -> é
  EXPECT_EQ(fold("\xCE\xA3"), "\xCF\x83");            // Σ -> σ
  EXPECT_EQ(fold("\xC3\x9F"), "\xC3\x9F");            // ß unchanged (no multi-char fold)
  EXPECT_EQ(fold("\xC4\xB0"), "i");                   // İ -> i (Java simple mapping)
  EXPECT_EQ(fold("\xD0\x96"), "\xD0\xB6");            // Ж -> ж
  EXPECT_EQ(fold("a\xFF"), "a\xEF\xBF\xBD");          // invalid byte -> U+FFFD
}

TEST(RegexTranslation, LuceneToRe2) {
  EXPECT_TRUE(translate_lucene_regex("[a-z]+\\.exe").ok);
  EXPECT_TRUE(translate_lucene_regex("a{2,3}").ok);
  EXPECT_TRUE(translate_lucene_regex("\"a.b\"").ok);
  EXPECT_FALSE(translate_lucene_regex("a&b").ok);
  EXPECT_FALSE(translate_lucene_regex("@").ok);
  EXPECT_FALSE(translate_lucene_regex("#").ok);
  EXPECT_FALSE(translate_lucene_regex("(a").ok);
  EXPECT_FALSE(translate_lucene_regex("[a").ok);
  EXPECT_EQ(wildcard_to_re2("a*b?", false), "a.*b.");
  EXPECT_EQ(wildcard_to_re2("a\\*", true), "a\\*");
  EXPECT_EQ(wildcard_to_re2("a\\*", false), "a\\\\.*");
}

}  // namespace
}  // namespace audetect::eql
