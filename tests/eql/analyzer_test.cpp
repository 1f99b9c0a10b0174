// What the analysis compiles a condition into: index predicates vs scripts (§6), constant
// folding, one matcher per field/operator, cheapest checks first.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "eql/evaluator.h"
#include "eql_test_util.h"

namespace audetect::eql {
namespace {

const BoolNode& root_of(const std::shared_ptr<const CompiledQuery>& q) {
  static const BoolNode kEmpty;
  if (!q || q->stages().empty() || !q->stages()[0].predicate.program()) return kEmpty;
  return q->stages()[0].predicate.program()->root;
}

TEST(Analyzer, ConstantsFold) {
  auto q = testing::compile_ok("any where 1 + 2 * 3 == 7 and concat(\"a\", \"b\") == \"ab\"");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kTrue);
  q = testing::compile_ok("any where false and process.name == \"a\"");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kFalse);
  q = testing::compile_ok("any where true or process.name == \"a\"");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kTrue);
  q = testing::compile_ok("any where ?unmapped.field == \"a\"");  // null -> no match
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kFalse);
  q = testing::compile_ok("any where not ?unmapped.field == \"a\"");  // not null is still null
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kFalse);
  q = testing::compile_ok("any where ?unmapped.field == null");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kTrue);
}

TEST(Analyzer, IndexPredicatesVersusScripts) {
  auto q = testing::compile_ok("any where process.name == \"a\"");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
  q = testing::compile_ok("any where length(process.name) == 1");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kScript);
  q = testing::compile_ok("any where startsWith(process.name, \"a\")");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
  q = testing::compile_ok("any where startsWith(string(process.name), \"a\")");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kScript);
  // not over an index predicate stays in the boolean layer; not over a script joins the script.
  q = testing::compile_ok("any where not process.name == \"a\"");
  ASSERT_EQ(root_of(q).kind, BoolNode::Kind::kNot);
  EXPECT_EQ(root_of(q).children[0].kind, BoolNode::Kind::kIndex);
  q = testing::compile_ok("any where not length(process.name) == 1");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kScript);
  q = testing::compile_ok("any where not not process.name == \"a\"");
  EXPECT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
}

TEST(Analyzer, OneMatcherPerFieldAndOperator) {
  auto q = testing::compile_ok("any where process.name : (\"a*\", \"*b\", \"c\", \"d?e\")");
  ASSERT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
  EXPECT_EQ(root_of(q).index->test, IndexPred::Test::kStrings);
  q = testing::compile_ok("any where process.pid in (1, 2, 3)");
  ASSERT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
  EXPECT_EQ(root_of(q).index->nums.size(), 3u);
  q = testing::compile_ok("any where process.name in (\"a\", \"b\", \"c\")");
  ASSERT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
  EXPECT_EQ(root_of(q).index->strings->exact_count(), 3u);
}

TEST(Analyzer, CheapestFirst) {
  auto q = testing::compile_ok(
      "process where length(process.title) > 3 and process.name regex \"a.*\" and process.pid == 1");
  const BoolNode& r = root_of(q);
  ASSERT_EQ(r.kind, BoolNode::Kind::kAnd);
  ASSERT_EQ(r.children.size(), 4u);  // three checks + the category
  EXPECT_EQ(r.children[0].kind, BoolNode::Kind::kIndex);
  EXPECT_EQ(r.children[0].index->test, IndexPred::Test::kNumEq);
  EXPECT_EQ(r.children[1].index->field.name, "event.category");
  EXPECT_EQ(r.children[3].kind, BoolNode::Kind::kScript);
  for (size_t i = 1; i < r.children.size(); ++i) EXPECT_LE(r.children[i - 1].cost, r.children[i].cost);
}

TEST(Analyzer, LiteralCoercionToFieldType) {
  auto q = testing::compile_ok("any where process.pid == \"7\"");
  ASSERT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
  ASSERT_EQ(root_of(q).index->nums.size(), 1u);
  EXPECT_EQ(root_of(q).index->nums[0].i, 7);
  q = testing::compile_ok("any where @timestamp >= \"1970-01-01T00:00:01Z\"");
  ASSERT_EQ(root_of(q).kind, BoolNode::Kind::kIndex);
  EXPECT_EQ(root_of(q).index->nums[0].i, 1000);
  q = testing::compile_ok("any where source.ip == \"10.0.0.0/8\"");
  EXPECT_EQ(root_of(q).index->test, IndexPred::Test::kIp);
}

TEST(Analyzer, CategoryFieldFromSchemaAlias) {
  Schema s;
  FieldInfo kw;
  kw.type = FieldType::kKeyword;
  s.add_field("event_type", kw);
  s.add_alias("event.category", "event_type");
  s.set_strict(true);
  auto q = testing::compile_ok("process where true", s);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->matches(testing::event_from_json(R"({"event_type":"process"})")));
  EXPECT_FALSE(q->matches(testing::event_from_json(R"({"event":{"category":"process"}})")));
}

TEST(Analyzer, RequiredValuesForPrefilters) {
  auto q = testing::compile_ok(
      R"(file where file.path == "/proc/modules" and (process.name == "a" or process.name in ("b", "c")) and)"
      R"( not user.id == "0" and process.title : "*x*")");
  ASSERT_TRUE(q);
  auto req = q->required_values();
  std::map<std::string, std::vector<std::string>> by_field;
  for (auto& r : req) {
    std::sort(r.values.begin(), r.values.end());
    by_field[r.path.text()] = r.values;
  }
  EXPECT_EQ(by_field.size(), 3u);
  EXPECT_EQ(by_field["file.path"], std::vector<std::string>{"/proc/modules"});
  EXPECT_EQ(by_field["event.category"], std::vector<std::string>{"file"});
  EXPECT_EQ(by_field["process.name"], (std::vector<std::string>{"a", "b", "c"}));
  // An `or` over different fields, case-insensitive forms and negations imply nothing.
  q = testing::compile_ok(R"(any where process.name == "a" or file.path == "b")");
  EXPECT_TRUE(q->required_values().empty());
  q = testing::compile_ok(R"(any where process.name : "a" and not file.path == "b")");
  EXPECT_TRUE(q->required_values().empty());
}

}  // namespace
}  // namespace audetect::eql
