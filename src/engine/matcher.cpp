#include "engine/matcher.h"

#include "eql/eql.h"
#include "eql/runner.h"
#include "eql/schema.h"

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
      : runner_(std::move(q), std::move(options)) {}
  bool is_sequence() const override { return true; }
  bool matches(const Event&) override { return false; }
  void push(const Event& event) override { runner_.push(event); }
  void finish() override {
    for (eql::Hit& hit : runner_.finish()) {
      SequenceMatch m;
      for (eql::HitEvent& he : hit.events)
        if (!he.missing && he.event.valid()) m.events.push_back(std::move(he.event));
      if (!m.events.empty()) pending_.push_back(std::move(m));
    }
  }
  std::vector<SequenceMatch> take_sequences() override { return std::move(pending_); }

 private:
  eql::QueryRunner runner_;
  std::vector<SequenceMatch> pending_;
};

}  // namespace

Result<std::unique_ptr<RuleMatcher>> compile_eql_matcher(const rules::Rule& rule) {
  eql::CompileOptions options;
  if (!rule.event_category_override.empty()) options.event_category_field = rule.event_category_override;
  eql::CompileResult compiled = eql::compile(rule.query, eql::Schema::builtin(), options);
  if (!compiled.ok()) {
    std::string message = "query does not compile";
    for (const eql::Diagnostic& d : compiled.diagnostics.items()) {
      if (d.severity != eql::Severity::kError) continue;
      eql::LineColumn lc = eql::line_column(rule.query, d.span.begin);
      rules::SourcePosition where = rule.query_position(lc.line, lc.column);
      message = rules::to_string(where) + ": " + d.message;
      break;
    }
    return Status::invalid(message);
  }
  if (compiled.query->kind() == eql::QueryKind::kEvent)
    return std::unique_ptr<RuleMatcher>(std::make_unique<EqlEventMatcher>(compiled.query));
  eql::RunnerOptions options_run;
  if (!rule.timestamp_field.empty()) options_run.timestamp_field = rule.timestamp_field;
  if (!rule.tiebreaker_field.empty()) options_run.tiebreaker_field = rule.tiebreaker_field;
  return std::unique_ptr<RuleMatcher>(std::make_unique<EqlSequenceMatcher>(compiled.query, options_run));
}

}  // namespace audetect::engine
