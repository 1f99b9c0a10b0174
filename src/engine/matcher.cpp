#include "engine/matcher.h"

#include "eql/eql.h"
#include "eql/runner.h"
#include "rules/query_check.h"

namespace audetect::engine {
namespace {

class EqlEventMatcher : public RuleMatcher {
 public:
  explicit EqlEventMatcher(std::shared_ptr<const eql::CompiledQuery> q) : query_(std::move(q)) {}
  bool matches(const Event& event) override { return query_->matches(event); }

 private:
  std::shared_ptr<const eql::CompiledQuery> query_;
};

// Sequences and samples go through the EQL runner, which orders the candidate events itself; its results
// are complete only at end of input.
class EqlSequenceMatcher : public RuleMatcher {
 public:
  EqlSequenceMatcher(std::shared_ptr<const eql::CompiledQuery> q, eql::RunnerOptions options)
      : runner_(std::move(q), std::move(options)) {
    // Sequences that are final when the runner's ordering buffer drains come out at once, so memory stays
    // flat and matches reach the windows during the input, not only at its end.
    runner_.set_overflow_sink([this](eql::Hit&& hit) { add(std::move(hit)); });
  }
  bool is_sequence() const override { return true; }
  bool matches(const Event&) override { return false; }
  void push(const Event& event) override { runner_.push(event); }
  void finish() override {
    for (eql::Hit& hit : runner_.finish()) add(std::move(hit));
  }
  bool has_sequences() const override { return !pending_.empty(); }
  std::vector<SequenceMatch> take_sequences() override {
    std::vector<SequenceMatch> out;
    out.swap(pending_);
    return out;
  }

 private:
  void add(eql::Hit&& hit) {
    SequenceMatch m;
    for (eql::HitEvent& he : hit.events)
      if (!he.missing && he.event.valid()) m.events.push_back(std::move(he.event));
    if (!m.events.empty()) pending_.push_back(std::move(m));
  }

  eql::QueryRunner runner_;
  std::vector<SequenceMatch> pending_;
};

}  // namespace

Result<std::unique_ptr<RuleMatcher>> compile_eql_matcher(const rules::Rule& rule) {
  std::vector<rules::Diagnostic> diagnostics;
  std::shared_ptr<const eql::CompiledQuery> query = rules::compile_rule_query(rule, &diagnostics);
  if (!query) {
    for (const rules::Diagnostic& d : diagnostics)
      if (d.level == rules::Diagnostic::Level::kError) return Status::invalid(rules::to_string(d));
    return Status::invalid(rules::to_string(rule.source) + ": error: query does not compile");
  }
  if (query->kind() == eql::QueryKind::kEvent)
    return std::unique_ptr<RuleMatcher>(std::make_unique<EqlEventMatcher>(query));
  eql::RunnerOptions options_run;
  options_run.max_buffered_events = 4096;  // ordering slack for out-of-order input; bounds hit latency
  if (!rule.timestamp_field.empty()) options_run.timestamp_field = rule.timestamp_field;
  if (!rule.tiebreaker_field.empty()) options_run.tiebreaker_field = rule.tiebreaker_field;
  return std::unique_ptr<RuleMatcher>(std::make_unique<EqlSequenceMatcher>(query, options_run));
}

}  // namespace audetect::engine
