#include "engine/matcher.h"

#include <algorithm>
#include <deque>

#include "engine/windows.h"
#include "eql/eql.h"
#include "eql/runner.h"
#include "rules/query_check.h"

namespace audetect::engine {
namespace {

std::vector<RuleMatcher::Requirement> required_of(const eql::CompiledQuery& q, size_t stage) {
  std::vector<RuleMatcher::Requirement> out;
  for (auto& r : q.required_values(stage)) out.push_back({std::move(r.path), std::move(r.values)});
  return out;
}

class EqlEventMatcher : public RuleMatcher {
 public:
  explicit EqlEventMatcher(std::shared_ptr<const eql::CompiledQuery> q) : query_(std::move(q)) {}
  bool matches(const Event& event) override { return query_->matches(event); }
  std::vector<std::vector<Requirement>> requirements() const override { return {required_of(*query_, 0)}; }

 private:
  std::shared_ptr<const eql::CompiledQuery> query_;
};

// Sequences and samples: candidates are classified once, on arrival, and each search feeds the ones in its
// window, in query order, to the EQL runner (whose size is the rule's max_signals).
class EqlSequenceMatcher : public RuleMatcher {
 public:
  EqlSequenceMatcher(std::shared_ptr<const eql::CompiledQuery> q, eql::RunnerOptions options, size_t max_kept)
      : runner_(q, std::move(options)), max_kept_(max_kept) {
    auto stages = q->stages();
    if (q->kind() == eql::QueryKind::kSample) {
      completing_stages_ = ~uint64_t{0};
    } else {
      for (size_t s = stages.size(); s-- > 0;) {
        if (stages[s].missing) continue;
        if (s < 64) completing_stages_ = uint64_t{1} << s;
        break;
      }
    }
  }
  bool is_sequence() const override { return true; }
  bool matches(const Event&) override { return false; }
  // An event is kept when it matches some stage or `until` (QueryRunner::classify looks at 64 stages).
  std::vector<std::vector<Requirement>> requirements() const override {
    const eql::CompiledQuery& q = runner_.query();
    if (q.until() || q.stages().size() > 64) return {};  // `until` has no required-value facts: every event
    std::vector<std::vector<Requirement>> out;
    for (size_t s = 0; s < q.stages().size(); ++s) out.push_back(required_of(q, s));
    return out;
  }

  KeepOutcome keep(const Event& event, Event& owned, std::optional<int64_t> window_ms, uint64_t arrival,
                   int64_t oldest_window_start_ms) override {
    Kept k;
    const uint64_t untimed = runner_.stats().events_without_timestamp;
    if (!runner_.classify(event, arrival, k.candidate))
      return runner_.stats().events_without_timestamp != untimed ? KeepOutcome::kNoTimestamp : KeepOutcome::kNotCandidate;
    if (!window_ms) return KeepOutcome::kNoTimestamp;
    if (*window_ms < oldest_window_start_ms) return KeepOutcome::kLate;
    if (kept_.size() >= max_kept_) {
      ++stats_.kept_cap_hits;
      return KeepOutcome::kFull;
    }
    if (!owned.valid()) owned = event.clone();
    k.candidate.event = owned;
    k.window_ms = *window_ms;
    oldest_ = oldest_ ? std::min(*oldest_, *window_ms) : *window_ms;
    may_complete_ = may_complete_ || (k.candidate.stage_mask & completing_stages_) != 0;
    kept_.push_back(std::move(k));
    ++stats_.kept;
    stats_.kept_peak = std::max(stats_.kept_peak, kept_.size());
    return KeepOutcome::kKept;
  }

  uint64_t search(int64_t from_ms, int64_t to_ms, std::vector<SequenceMatch>& out) override {
    in_window_.clear();
    may_complete_ = false;
    for (const Kept& k : kept_)
      if (k.window_ms >= from_ms && k.window_ms <= to_ms) in_window_.push_back(&k.candidate);
    if (in_window_.empty()) return 0;
    ++stats_.searches;
    std::sort(in_window_.begin(), in_window_.end(),
              [](const eql::Candidate* a, const eql::Candidate* b) { return a->order < b->order; });
    for (const eql::Candidate* c : in_window_) runner_.push_candidate(*c);
    const uint64_t found_before = runner_.stats().hits_before_limits;
    for (eql::Hit& hit : runner_.finish()) {
      SequenceMatch m;
      for (eql::HitEvent& he : hit.events)
        if (!he.missing && he.event.valid()) m.events.push_back(std::move(he.event));
      if (!m.events.empty()) out.push_back(std::move(m));
    }
    return runner_.stats().hits_before_limits - found_before;
  }

  void forget_before(int64_t window_ms) override {
    if (!oldest_ || *oldest_ >= window_ms) return;
    std::erase_if(kept_, [window_ms](const Kept& k) { return k.window_ms < window_ms; });
    oldest_.reset();
    for (const Kept& k : kept_) oldest_ = oldest_ ? std::min(*oldest_, k.window_ms) : k.window_ms;
  }

  bool may_complete_since_search() const override { return may_complete_; }
  std::optional<int64_t> oldest_kept() const override { return oldest_; }
  size_t kept_events() const override { return kept_.size(); }

  SearchStats search_stats() const override {
    SearchStats s = stats_;
    const eql::RunnerStats& r = runner_.stats();
    s.key_cap_hits = r.key_cap_hits;
    s.open_keys_peak = r.open_keys_peak;
    s.key_combination_cap_hits = r.key_combination_cap_hits;
    s.sample_search_cap_hits = r.sample_search_cap_hits;
    return s;
  }

 private:
  struct Kept {
    eql::Candidate candidate;  // its event is shared with the other rules keeping it
    int64_t window_ms = 0;
  };

  eql::QueryRunner runner_;
  size_t max_kept_;
  uint64_t completing_stages_ = 0;  // stage bits whose match can complete a sequence or sample
  bool may_complete_ = false;
  std::deque<Kept> kept_;  // arrival order
  std::optional<int64_t> oldest_;
  std::vector<const eql::Candidate*> in_window_;  // scratch
  SearchStats stats_;
};

}  // namespace

Result<std::unique_ptr<RuleMatcher>> compile_eql_matcher(const rules::Rule& rule, size_t max_kept) {
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
  options_run.size = Schedule::of(rule).max_signals;  // Kibana's search size: one execution's alert budget
  options_run.max_buffered_events = 4096;  // a search feeds its window in order: this only bounds the drain
  if (!rule.timestamp_field.empty()) options_run.timestamp_field = rule.timestamp_field;
  if (!rule.tiebreaker_field.empty()) options_run.tiebreaker_field = rule.tiebreaker_field;
  return std::unique_ptr<RuleMatcher>(std::make_unique<EqlSequenceMatcher>(query, options_run, max_kept));
}

}  // namespace audetect::engine
