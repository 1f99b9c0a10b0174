// The rule dispatch index may only leave out rules that cannot match: for every event and every event
// rule, matches() implies the rule is a candidate.
#include "engine/dispatch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/matcher.h"
#include "eql/eql.h"
#include "event/json.h"
#include "io/pipeline.h"
#include "rules/query_check.h"
#include "rules/rules.h"

namespace audetect::engine {
namespace {

namespace fs = std::filesystem;

bool bit(const std::vector<uint64_t>& set, size_t i) { return (set[i / 64] >> (i % 64)) & 1; }

Event parse(EventBuilder& b, const std::string& json) {
  JsonEventReader reader;
  EXPECT_EQ(reader.parse(json, b, nullptr), JsonEventReader::Outcome::kEvent) << json;
  return b.finish();
}

TEST(RuleDispatch, IndexesExactValuesAndLeavesTheRestToTheRules) {
  using Reqs = std::vector<RuleMatcher::Requirement>;
  std::vector<std::vector<Reqs>> reqs(6);
  reqs[0] = {Reqs{{FieldPath("event.category"), {"process"}}, {FieldPath("event.type"), {"start"}}}};
  reqs[1] = {Reqs{{FieldPath("event.category"), {"file"}}}};
  reqs[2] = {};  // no alternatives: every event
  // The same field twice: the event needs a value both lists have.
  reqs[3] = {Reqs{{FieldPath("event.action"), {"exec", "executed"}}, {FieldPath("event.action"), {"executed", "x"}}}};
  reqs[4] = {Reqs{{FieldPath("event.category"), {"process", "file"}}}};
  // Alternatives (a sequence's stages): either one will do.
  reqs[5] = {Reqs{{FieldPath("event.category"), {"network"}}}, Reqs{{FieldPath("event.type"), {"change"}}}};
  RuleDispatch d(reqs);
  EXPECT_EQ(d.indexed_paths(), 3u);

  EventBuilder b;
  auto c = d.candidates(parse(b, R"({"event":{"category":["process"],"type":["start"],"action":"executed"}})"));
  EXPECT_TRUE(bit(c, 0));
  EXPECT_FALSE(bit(c, 1));
  EXPECT_TRUE(bit(c, 2));
  EXPECT_TRUE(bit(c, 3));
  EXPECT_TRUE(bit(c, 4));
  EXPECT_FALSE(bit(c, 5));

  c = d.candidates(parse(b, R"({"event":{"category":["file","process"],"type":"change","action":"exec"}})"));
  EXPECT_FALSE(bit(c, 0));  // no "start"
  EXPECT_TRUE(bit(c, 1));   // arrays: any element
  EXPECT_TRUE(bit(c, 2));
  EXPECT_FALSE(bit(c, 3));  // "exec" is not in the second list
  EXPECT_TRUE(bit(c, 4));
  EXPECT_TRUE(bit(c, 5));   // the second alternative

  c = d.candidates(parse(b, R"({"message":"no event fields"})"));
  EXPECT_FALSE(bit(c, 0));
  EXPECT_FALSE(bit(c, 1));
  EXPECT_TRUE(bit(c, 2));
  EXPECT_FALSE(bit(c, 4));

  // A value that is not a string is left to the rules (only exact string facts are indexed).
  c = d.candidates(parse(b, R"({"event":{"category":7}})"));
  EXPECT_TRUE(bit(c, 1));
  EXPECT_TRUE(bit(c, 4));
}

TEST(RuleDispatch, ManyRulesSpanSeveralWords) {
  std::vector<std::vector<std::vector<RuleMatcher::Requirement>>> reqs(200);
  for (size_t i = 0; i < reqs.size(); ++i)
    reqs[i] = {{{FieldPath("process.name"), {"p" + std::to_string(i)}}}};
  RuleDispatch d(reqs);
  EventBuilder b;
  auto c = d.candidates(parse(b, R"({"process":{"name":"p130"}})"));
  for (size_t i = 0; i < reqs.size(); ++i) EXPECT_EQ(bit(c, i), i == 130) << i;
}

// Every EQL rule of the corpus (event queries, sequences, samples) against real and bundled audit logs, both
// ECS profiles: a rule uses an event when some stage (or `until`) matches it.
TEST(RuleDispatch, NeverLeavesOutAnEventACorpusRuleUses) {
  const fs::path corpus = fs::path(AUDETECT_CORPUS_DIR);
  if (!fs::exists(corpus / "rules/elastic")) GTEST_SKIP() << "corpus not found at " << corpus;
  std::vector<fs::path> rule_dirs = {fs::path(AUDETECT_SOURCE_DIR) / "rules", corpus / "rules/elastic"};
  rules::RuleSet set = rules::load_rules(rule_dirs);
  std::vector<std::shared_ptr<const eql::CompiledQuery>> queries;
  std::vector<std::vector<std::vector<RuleMatcher::Requirement>>> reqs;
  std::vector<std::string> names;
  size_t sequences = 0;
  for (const rules::Rule& r : set.rules) {
    if (r.type != rules::RuleType::kEql) continue;
    auto m = compile_eql_matcher(r);
    if (!m.is_ok()) continue;
    queries.push_back(rules::compile_rule_query(r, nullptr));
    ASSERT_TRUE(queries.back());
    reqs.push_back((*m)->requirements());
    names.push_back(r.name);
    sequences += (*m)->is_sequence();
  }
  ASSERT_GT(queries.size(), 250u);
  ASSERT_GT(sequences, 5u);
  RuleDispatch dispatch(reqs);
  auto uses = [](const eql::CompiledQuery& q, const Event& e) {
    for (const eql::Stage& s : q.stages())
      if (s.predicate.matches(e)) return true;
    return q.until() && q.until()->predicate.matches(e);
  };

  std::vector<fs::path> logs = {fs::path(AUDETECT_SOURCE_DIR) / "data/sample-audit.log"};
  for (const auto& e : fs::directory_iterator(fs::path(AUDETECT_SOURCE_DIR) / "tests/engine/testdata/real"))
    if (e.path().extension() == ".log") logs.push_back(e.path());
  for (const auto& e : fs::directory_iterator(corpus / "audit-real"))
    if (e.path().extension() == ".log") logs.push_back(e.path());

  uint64_t events = 0, used = 0, skipped = 0, checks = 0;
  for (ecs::Profile profile : {ecs::Profile::kAuditdManager, ecs::Profile::kAuditbeat}) {
    io::PipelineOptions po;
    po.warning_stream = nullptr;
    po.normalizer.profile = profile;
    io::EventPipeline pipeline(po, [&](const Event& e) {
      ++events;
      const std::vector<uint64_t>& c = dispatch.candidates(e);
      for (size_t i = 0; i < queries.size(); ++i) {
        ++checks;
        bool candidate = bit(c, i);
        skipped += !candidate;
        if (uses(*queries[i], e)) {
          ++used;
          EXPECT_TRUE(candidate) << names[i] << " uses an event the dispatch left out";
        }
      }
    });
    for (const fs::path& log : logs) ASSERT_TRUE(pipeline.read_file(log.string()).is_ok()) << log;
    pipeline.flush();
  }
  std::printf("dispatch: %zu rules (%zu sequences or samples), %zu fields indexed; %llu events; %llu of %llu "
              "rule checks skipped; %llu uses, none left out\n",
              queries.size(), sequences, dispatch.indexed_paths(), static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(skipped), static_cast<unsigned long long>(checks),
              static_cast<unsigned long long>(used));
  EXPECT_GT(used, 10u);  // the logs hold events that corpus rules use, so the check means something
  EXPECT_GT(skipped, checks / 2);
}

}  // namespace
}  // namespace audetect::engine
